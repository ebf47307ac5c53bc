// The one input parser: every input of action.yml → one deep-frozen Config. Pure: no I/O, no network.
//
// Everything a user can get wrong is rejected here, before the first Azure call, with an InputError that names the
// input and says what would be valid. Secrets (the `creds` JSON) are never quoted in a message.
//
// Formats (also in README.md, "Input formats"; the ways to sign in are in its "Signing in to Azure"):
//   duration   `90s`, `15m`, `2h`, `1h30m`, `500ms`, or ISO-8601 `PT1H30M`, in any case (`1H`); `0` alone means zero
//              (only for pause-between-batches and lease-wait; lease-duration is at least 30s).
//              A bare number such as `60` is rejected: half of readers take it as seconds, the other half as minutes.
//   size       a count of instances (`3`, at least 1) or a percentage (`20%`, 1–100).
//   percent    `0%`–`100%` (max-unhealthy); the `%` is required so it cannot be mistaken for a count.
//   boolean    true | True | TRUE | false | False | FALSE (what core.getBooleanInput accepts).

import { resolveCloud } from "./cloud.ts";
import { safeUri, sasSecrets, uriWithoutUserinfo } from "../shared/redact.ts";
import { autoForceUpdateTag, ID_TOKEN_PERMISSION, InputError, MIN_LEASE_MS, quoted, SIGN_IN_WAYS } from "./types.ts";
import type {
  AuthConfig,
  BatchOption,
  ChangeRequest,
  Cloud,
  Config,
  DeploymentConfig,
  ExtensionChangeRequest,
  GitHubContext,
  InputWarning,
  RolloutOptions,
  Size,
  Target,
} from "./types.ts";

/** Every input of action.yml, read once each. */
const INPUT_NAMES = [
  "subscription-id",
  "resource-group",
  "scale-set",
  "image-version",
  "image-id",
  "extension-name",
  "extension-file-uris",
  "force-update-tag",
  "batch-size",
  "canary",
  "pause-between-batches",
  "health",
  "health-timeout",
  "max-unhealthy",
  "rollback-on-failure",
  "rollback",
  "timeout",
  "poll-interval",
  "lease-duration",
  "lease-wait",
  "dry-run",
  "auth",
  "client-id",
  "tenant-id",
  "creds",
  "audience",
  "environment",
  "arm-endpoint",
  "authority-host",
  "deployment-environment",
  "github-token",
] as const;

type InputName = (typeof INPUT_NAMES)[number];
type Inputs = Readonly<Record<InputName, string>>;

/** The defaults of action.yml, applied again here because tests and the demo call the parser without action.yml. */
const DEFAULTS: Partial<Record<InputName, string>> = {
  "batch-size": "20%",
  "pause-between-batches": "0s",
  health: "auto",
  "health-timeout": "10m",
  "max-unhealthy": "20%",
  "rollback-on-failure": "false",
  rollback: "false",
  timeout: "60m",
  "poll-interval": "15s",
  "lease-duration": "10m",
  "lease-wait": "0",
  "dry-run": "false",
  auth: "auto",
  audience: "api://AzureADTokenExchange",
  environment: "AzureCloud",
};

type Env = Readonly<Record<string, string | undefined>>;

/**
 * `readEvent`: what the runner's event payload says that GITHUB_* variables do not (the pull request's head commit),
 * read only when the inputs ask for a GitHub deployment, the one thing that uses it.
 */
export function parseConfig(
  getInput: (name: string) => string,
  env: Env,
  readEvent: () => { readonly pullRequestHeadSha?: string | undefined } = () => ({}),
): Config {
  const inputs = readInputs(getInput);
  const creds = inputs.creds ? parseCreds(inputs.creds) : undefined;
  const target = parseTarget(inputs, creds);
  const notes: string[] = [];
  const rollback = parseRollback(inputs);
  const change = rollback ? {} : parseChange(inputs, env, notes);
  const github = parseGitHubContext(env, inputs["deployment-environment"] ? readEvent().pullRequestHeadSha : undefined);
  const auth = parseAuth(inputs, creds, env);
  const rollout = parseRollout(inputs);
  // A dry run writes nothing, a GitHub deployment neither: its inputs are not needed (a fork's pull request may have no
  // token with deployments: write).
  const deployment = rollout.dryRun ? undefined : parseDeployment(inputs, github);
  if (rollout.dryRun && inputs["deployment-environment"])
    notes.push("deployment-environment: a dry run records no GitHub deployment.");
  const warnings = [...inputWarnings(inputs, auth, change, env), ...rolloutWarnings(inputs, rollout)];
  const config: Config = {
    target,
    change,
    rollout,
    auth,
    cloud: parseCloud(inputs, creds),
    secrets: [...secretsOf(creds, change), ...(deployment ? [deployment.token] : dryRunToken(inputs, rollout))],
    ...(rollback ? { rollback } : {}),
    ...(github ? { github } : {}),
    ...(deployment ? { deployment } : {}),
    ...(notes.length > 0 ? { notes } : {}),
    ...(warnings.length > 0 ? { warnings } : {}),
  };
  return deepFreeze(config);
}

/**
 * What the log must never show: the client secret of `creds`, and the secrets of the SAS tokens of extension-file-uris
 * (sasSecrets). Redaction of URLs by pattern stays in place.
 */
function secretsOf(creds: Creds | undefined, change: ChangeRequest): string[] {
  const sas = sasSecrets(change.extension?.fileUris ?? []);
  return creds ? [creds.clientSecret, ...sas] : sas;
}

/** Inputs that may span lines: a list of URIs, a JSON document. Every other input is one line by nature. */
const MULTI_LINE: ReadonlySet<InputName> = new Set(["extension-file-uris", "creds"]);

// Line breaks (as JavaScript, .NET and Unicode know them) and every other C0/C1 control character except tab.
// eslint-disable-next-line no-control-regex -- the control characters are what this matches
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029]/;

function readInputs(getInput: (name: string) => string): Inputs {
  const inputs = {} as Record<InputName, string>;
  for (const name of INPUT_NAMES) {
    const value = getInput(name).trim();
    // A line break in a one-line input would reach the log as a line of its own (a workflow command, even).
    // The value is not quoted: it is not a single line, and it may be a secret pasted into the wrong input.
    const control = MULTI_LINE.has(name) ? undefined : CONTROL.exec(value)?.[0];
    if (control !== undefined) {
      const code = `U+${(control.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;
      throw new InputError(
        name,
        `contains a line break or control character (${code}): give it on one line, as plain text`,
      );
    }
    // An invisible character (a zero-width space, a bidi mark, a soft hyphen pasted with the value) would be sent to
    // Azure or GitHub as written, and the log, which removes such characters (src/shared/gate.ts), would show a value
    // that looks right. extension-file-uris says which of its entries has one (parseFileUris).
    const visible = withoutEmojiParts(value);
    if (!MULTI_LINE.has(name) && INVISIBLE.test(visible)) {
      throw new InputError(
        name,
        `contains an invisible character (U+${invisibleCode(visible)}): write the value without it (retype it rather than paste it)`,
      );
    }
    inputs[name] = value || DEFAULTS[name] || "";
  }
  return inputs;
}

// ───────────────────────────── target ─────────────────────────────

function parseTarget(inputs: Inputs, creds: Creds | undefined): Target {
  return {
    subscriptionId: parseSubscription(inputs["subscription-id"], creds),
    resourceGroup: parseResourceGroup(required(inputs, "resource-group")),
    scaleSet: parseScaleSetName(required(inputs, "scale-set")),
  };
}

function parseSubscription(fromInput: string, creds: Creds | undefined): string {
  const fromCreds = creds?.subscriptionId;
  if (fromInput) {
    const id = parseGuid("subscription-id", fromInput);
    // Subscription IDs are identifiers, not secrets: quoting both makes the conflict obvious.
    if (fromCreds && fromCreds.toLowerCase() !== id.toLowerCase()) {
      throw new InputError(
        "subscription-id",
        `is ${id} but creds has subscriptionId ${fromCreds}: remove one or make them equal`,
      );
    }
    return id;
  }
  if (fromCreds) return fromCreds;
  throw new InputError("subscription-id", "is required: set subscription-id (or creds with a subscriptionId)");
}

/** Resource group names: 1–90 letters, digits, `_ - . ( )`, not ending with a period (ARM naming rules). */
function isResourceGroupName(value: string): boolean {
  return value.length <= 90 && /^[\p{L}\p{N}_\-.()]+$/u.test(value) && !value.endsWith(".");
}

function parseResourceGroup(value: string): string {
  if (isResourceGroupName(value)) return value;
  throw new InputError(
    "resource-group",
    `${quoted(value)} is not a valid resource group name: 1-90 letters, digits, underscores, hyphens, periods and parentheses, not ending with a period`,
  );
}

/**
 * Scale set names (ARM naming rules for Microsoft.Compute/virtualMachineScaleSets): 1–64 characters without spaces or
 * `\ / " ' [ ] : | < > + = ; , ? * @ & # %`, not starting with `_`, not ending with `.` or `-`.
 */
function parseScaleSetName(value: string): string {
  if (
    value.length <= 64 &&
    !/[\s\\/"'[\]:|<>+=;,?*@&#%]/.test(value) &&
    !value.startsWith("_") &&
    !/[.-]$/.test(value)
  ) {
    return value;
  }
  throw new InputError(
    "scale-set",
    `${quoted(value)} is not a valid scale set name: 1-64 characters, no spaces or \\/"'[]:|<>+=;,?*@&#%, not starting with _ and not ending with . or -`,
  );
}

// ───────────────────────────── change ─────────────────────────────

/** The inputs that say what to change: a rollback takes its values from the record on the scale set instead. */
const CHANGE_INPUTS = [
  "image-version",
  "image-id",
  "extension-name",
  "extension-file-uris",
  "force-update-tag",
] as const;

/**
 * `rollback: true`: the change comes from the rollout record on the scale set (the previous values of the last change
 * the action made), so no change input may be given with it; and a rollback that fails does not put back the model it
 * rolls back from (that is the model being removed), so rollback-on-failure may not be set with it either.
 */
function parseRollback(inputs: Inputs): boolean {
  if (!parseBoolean("rollback", inputs.rollback)) return false;
  const given = CHANGE_INPUTS.filter((name) => inputs[name] !== "");
  if (given.length > 0) {
    const names = given.join(", ");
    throw new InputError(
      "rollback",
      `cannot be combined with ${names}: a rollback puts back the values recorded on the scale set by the run that ` +
        `made its last change. Remove ${given.length === 1 ? "it" : "them"} to roll back, or remove rollback to roll out ${given.length === 1 ? "that value" : "those values"}`,
    );
  }
  if (parseBoolean("rollback-on-failure", inputs["rollback-on-failure"])) {
    throw new InputError(
      "rollback-on-failure",
      "cannot be true with rollback: true: a rollback that fails would put back the model it rolls back from. Remove rollback-on-failure (a failed rollback is finished by running it again)",
    );
  }
  return true;
}

function parseChange(inputs: Inputs, env: Env, notes: string[]): ChangeRequest {
  const imageVersion = inputs["image-version"];
  const imageId = inputs["image-id"];
  if (imageVersion && imageId) {
    throw new InputError("image-id", "cannot be combined with image-version: set one of them");
  }
  const extension = parseExtensionChange(inputs, env);
  if (!imageVersion && !imageId && !extension) {
    throw new InputError(
      "image-version",
      "is empty, and so is every other change input: nothing to change. Set image-version, image-id, or extension-name with extension-file-uris and/or force-update-tag (or rollback: true to undo the last change the action made)",
    );
  }
  return {
    ...(imageVersion ? { imageVersion: parseImageVersion(imageVersion, notes) } : {}),
    ...(imageId ? { imageId: parseImageId(imageId, notes) } : {}),
    ...(extension ? { extension } : {}),
  };
}

/**
 * Release tags are versions: a leading `v` before a digit (`v1.4.0`, the tag a release workflow pushes) is dropped,
 * since no platform or gallery image version can start with a letter. Anything else is left for the caller to check.
 */
function fromTag(value: string): string {
  return /^[vV]\d/.test(value) ? value.slice(1) : value;
}

const VERSION = /^\d+\.\d+\.\d+$/;

/**
 * `<major>.<minor>.<patch>` whose parts are each a 32-bit integer: assumed (Compute parses versions as .NET
 * System.Version, whose parts are Int32; published platform versions such as 24.04.202409120 fit, and gallery image
 * versions are documented as 32-bit integers). A longer one can only be a mistake, refused here.
 */
function isVersion(value: string): boolean {
  return VERSION.test(value) && value.split(".").every((part) => Number(part) <= 2_147_483_647);
}

/** A platform image version: `latest` or `<major>.<minor>.<patch>` digits (e.g. 16.04.201801090), or such a tag. */
function parseImageVersion(value: string, notes: string[]): string {
  if (value.toLowerCase() === "latest") return "latest";
  const version = fromTag(value);
  if (isVersion(version)) {
    if (version !== value)
      notes.push(`image-version ${quoted(value)} is a release tag: rolling out image version ${version}.`);
    return version;
  }
  throw new InputError(
    "image-version",
    `${quoted(value)} is not a platform image version: use latest or <major>.<minor>.<patch> (each at most 2147483647) such as 16.04.201801090 (a release tag such as v1.4.0 gives 1.4.0)`,
  );
}

const IMAGE_ID_FORMS =
  "/subscriptions/{id}/resourceGroups/{rg}/providers/Microsoft.Compute/images/{name} (managed image), " +
  ".../providers/Microsoft.Compute/galleries/{gallery}/images/{image} (gallery image, latest version) or " +
  ".../galleries/{gallery}/images/{image}/versions/{major.minor.patch} (gallery image version; versions/latest also " +
  "takes the latest)";

// Segment names are matched case-insensitively (ARM treats them so; the portal copies `resourcegroups` at times).
const IMAGE_ID =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/(?:images\/([^/]+)|galleries\/([^/]+)\/images\/([^/]+)(?:\/versions\/([^/]+))?)$/i;

/**
 * Managed image, gallery and gallery image definition names: 1–80 letters, digits, `_ . -`, starting with a letter or
 * digit and not ending with `.` or `-` (ARM's naming rules for the three, as the template reference gives the gallery's:
 * `^[^_\W][\w-._]{0,79}(?<![-.])$`; galleries allow no hyphen, which Azure itself refuses). Anything else (`?`, `#`,
 * spaces, `..`) is a mangled copy.
 */
function isImageName(value: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$/.test(value) && !/[.-]$/.test(value);
}

/**
 * What of an image ID's shape is off, for one IMAGE_ID does not match: the first path segment that is not what the
 * forms have there (segment names case-insensitive), a trailing `/`, or a path that ends too soon or goes on too long.
 */
function imageIdShapeProblem(value: string): string {
  if (!value.startsWith("/")) return "it does not start with /subscriptions/";
  if (value.endsWith("/")) return "it ends with '/'";
  const segments = value.slice(1).split("/");
  if (segments.includes("")) return "it has an empty segment ('//')";
  // Each place of the path: a segment name it must have, or what the value there is.
  const places: readonly { readonly is?: string; readonly names: string }[] = [
    { is: "subscriptions", names: "'subscriptions'" },
    { names: "the subscription ID" },
    { is: "resourceGroups", names: "'resourceGroups'" },
    { names: "the resource group's name" },
    { is: "providers", names: "'providers'" },
    { is: "Microsoft.Compute", names: "'Microsoft.Compute'" },
  ];
  for (const [i, place] of places.entries()) {
    const got = segments[i];
    if (got === undefined) return `it ends before ${place.names}`;
    if (place.is !== undefined && got.toLowerCase() !== place.is.toLowerCase())
      return `it has ${quoted(got)} where ${place.names} belongs`;
  }
  const rest = segments.slice(places.length);
  const kind = rest[0]?.toLowerCase();
  if (kind === undefined) return "it ends after Microsoft.Compute, before 'images' or 'galleries'";
  if (kind !== "images" && kind !== "galleries")
    return `it has ${quoted(rest[0] ?? "")} after Microsoft.Compute, where 'images' or 'galleries' belongs`;
  if (kind === "images")
    return rest.length < 2 ? "it ends before the image's name" : "it goes on after the image's name";
  if (rest.length < 2) return "it ends before the gallery's name";
  if (rest[2] === undefined) return "it ends after the gallery's name, before 'images'";
  if (rest[2].toLowerCase() !== "images") return `it has ${quoted(rest[2])} where 'images' belongs`;
  if (rest.length < 4) return "it ends before the gallery image's name";
  if (rest[4] === undefined) return "it is not in one of these forms";
  if (rest[4].toLowerCase() !== "versions") return `it has ${quoted(rest[4])} where 'versions' belongs`;
  return rest.length < 6 ? "it ends before the version" : "it goes on after the version";
}

/** Milliseconds as a duration input takes them, in whole seconds down: 575h50m, 90s. */
function durationInput(ms: number): string {
  const total = Math.floor(ms / 1000);
  const [h, m, sec] = [Math.floor(total / 3600), Math.floor((total % 3600) / 60), total % 60];
  return `${h > 0 ? `${h}h` : ""}${m > 0 ? `${m}m` : ""}${sec > 0 || total === 0 ? `${sec}s` : ""}`;
}

function parseImageId(value: string, notes: string[]): string {
  const match = IMAGE_ID.exec(value);
  const [, subscription = "", resourceGroup = "", image, gallery, galleryImage, version] = match ?? [];
  const problem =
    match === null
      ? imageIdShapeProblem(value)
      : !GUID.test(subscription)
        ? `its subscription ${quoted(subscription)} is not a GUID`
        : !isResourceGroupName(resourceGroup)
          ? `its resource group ${quoted(resourceGroup)} is not a resource group name`
          : [image, gallery, galleryImage]
              .filter((name): name is string => name !== undefined && !isImageName(name))
              .map(
                (name) =>
                  `its name ${quoted(name)} is not a valid name: 1-80 letters, digits, _ . -, starting with a letter or digit, not ending with . or -`,
              )[0];
  if (problem !== undefined) {
    // The value is cut in the message (quoted); what is wrong is said on its own, wherever it is in a long ID.
    throw new InputError(
      "image-id",
      `${quoted(value)} is not an image resource ID (${problem}): use ${IMAGE_ID_FORMS}, names of 1-80 letters, digits, _ . -`,
    );
  }
  if (version === undefined || version.toLowerCase() === "latest") return value;
  const fixed = fromTag(version);
  if (!isVersion(fixed)) {
    throw new InputError(
      "image-id",
      `${quoted(value)} is not an image resource ID: its version ${quoted(version)} is not a gallery image version <major>.<minor>.<patch> (each at most 2147483647) such as 1.4.0 (a release tag such as v1.4.0 gives 1.4.0). Use ${IMAGE_ID_FORMS}`,
    );
  }
  if (fixed === version) return value;
  notes.push(`image-id's version ${quoted(version)} is a release tag: rolling out gallery image version ${fixed}.`);
  return value.slice(0, value.length - version.length) + fixed;
}

function parseExtensionChange(inputs: Inputs, env: Env): ExtensionChangeRequest | undefined {
  const name = inputs["extension-name"];
  const uris = inputs["extension-file-uris"];
  const tag = inputs["force-update-tag"];
  if (!name) {
    if (uris)
      throw new InputError(
        "extension-file-uris",
        "needs extension-name: the name of the scale-set extension whose settings.fileUris it replaces",
      );
    if (tag)
      throw new InputError("force-update-tag", "needs extension-name: the name of the scale-set extension to re-run");
    return undefined;
  }
  if (/[/\\?#]/.test(name)) {
    throw new InputError("extension-name", `${quoted(name)} is not an extension name: it cannot contain / \\ ? or #`);
  }
  if (!uris && !tag) {
    throw new InputError("extension-name", "asks for no change: also set extension-file-uris and/or force-update-tag");
  }
  return {
    name,
    ...(uris ? { fileUris: parseFileUris(uris) } : {}),
    ...(tag ? { forceUpdateTag: parseForceUpdateTag(tag, env) } : {}),
  };
}

/**
 * https URIs separated by commas and/or line breaks. Whitespace (blank lines included) around a separator is ignored;
 * an empty entry (`a,,b`, a leading or trailing comma) is an error, since it is almost always a typo.
 * Messages show URIs without their query string: it is usually a SAS token.
 */
function parseFileUris(text: string): string[] {
  const entries = text.split(/\s*,\s*|\s*\n\s*/);
  return entries.map((entry, index) => {
    const position = `entry ${index + 1} of ${entries.length}`;
    if (!entry)
      throw new InputError("extension-file-uris", `${position} is empty: separate URIs with one comma or line break`);
    if (/\s/.test(entry) || CONTROL.test(entry)) {
      throw new InputError(
        "extension-file-uris",
        `${position} contains white space or a control character: separate URIs with commas or line breaks, and ` +
          `write a space inside a URI as %20`,
      );
    }
    // Invisible characters (a zero-width space pasted with the URI) are sent as written, and no download finds them.
    if (INVISIBLE.test(entry)) {
      throw new InputError(
        "extension-file-uris",
        `${position} contains an invisible character (U+${invisibleCode(entry)}): write the URI without it`,
      );
    }
    // Quotes or brackets around a URI (pasted from a JSON array or a shell line) are sent as written: no VM could
    // download it. Said before the check below, which would take the URI after a leading quote for a second one.
    if (/^["'`[<(]|["'`\]>]$/.test(entry)) {
      throw new InputError(
        "extension-file-uris",
        `${position} (${quoted(safeUri(entry))}) is wrapped in quotes or brackets: write each URI bare, one per line ` +
          `or separated by commas (a JSON array is not read as one)`,
      );
    }
    // Two URIs joined by another separator (`;`, `|`) or run together parse as one: each VM would fail to download it.
    // A URL after a `/` (a mirror's or an archive's: `https://mirror.example/https://host/x.sh`) or a `=` (a query
    // parameter) is one URI's own.
    if (/(?<![/=])https?:\/\//i.test(entry.slice(1))) {
      throw new InputError(
        "extension-file-uris",
        `${position} (${quoted(safeUri(entry))}) holds more than one URI: separate URIs with commas or line breaks`,
      );
    }
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      throw new InputError(
        "extension-file-uris",
        `${position} (${quoted(safeUri(entry))}) is not a URI: give an absolute https URI such as ` +
          `https://account.blob.core.windows.net/container/script.sh`,
      );
    }
    if (url.protocol !== "https:") {
      throw new InputError(
        "extension-file-uris",
        `${position} (${quoted(safeUri(entry))}) must use https (${url.protocol} is not allowed)`,
      );
    }
    // The URL parser repairs `https:host/x`, `https:/host/x`, `https:///host/x` and backslashes, but the entry is sent
    // as written: each VM's extension would fail to download it, after the model write. The raw text must be right.
    if (!/^https:\/\/[^/\\]/i.test(entry) || entry.includes("\\")) {
      throw new InputError(
        "extension-file-uris",
        `${position} (${quoted(safeUri(entry))}) is not written as an absolute URI: write it as https://host/path, ` +
          `with two slashes after https: and forward slashes only`,
      );
    }
    // A SAS token belongs in the query; user:password and a fragment have no place in a file download.
    // `https://host/a.sh#` parses with an empty hash: the raw text is checked as well.
    if (url.username || url.password || url.hash || entry.includes("#")) {
      throw new InputError(
        "extension-file-uris",
        `${position} must be a plain https URI (with a SAS query if needed), without user:password@ or a #fragment`,
      );
    }
    return entry;
  });
}

/**
 * Characters that show as nothing: the classes the gate removes from what it prints (src/shared/gate.ts INVISIBLE:
 * default-ignorable code points and format characters: soft hyphen, zero-width space, bidi marks, variation
 * selectors, tag characters …), but for the zero-width (non-)joiners, which Persian and Indic names need.
 */
const INVISIBLE = /(?![\u200c\u200d])[\p{Default_Ignorable_Code_Point}\p{Cf}]/u;

/**
 * `text` without the invisible parts of emoji that keyboards insert themselves: a variation selector (U+FE0E, U+FE0F)
 * right after a pictograph (`☁️`), and the tag characters of a subdivision flag (U+1F3F4, tags, U+E007F). Anywhere else
 * they are hidden text like any other (the log removes them too), and refused.
 */
function withoutEmojiParts(text: string): string {
  return text
    .replace(/\u{1F3F4}[\u{E0020}-\u{E007E}]+\u{E007F}/gu, "\u{1F3F4}")
    .replace(/(\p{Extended_Pictographic})[\ufe0e\ufe0f]/gu, "$1");
}

/** The code point of the first invisible character in `text`, as hex (U+200B). */
function invisibleCode(text: string): string {
  const c = INVISIBLE.exec(text)?.[0] ?? "";
  return (c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0");
}

/**
 * `auto` (any case, like the other keywords: `latest`, `health`, `auth`) → a value unique to this workflow run, the
 * same for each of its attempts: a re-run of a failed job finds it in the model and resumes, skipping the instances
 * already on it, as a re-run does with any other input. With the attempt in it (until 2026-12-06) a re-run wrote a new
 * tag and upgraded every instance again, and its record named only the tag's change, so a later `rollback: true` put
 * the tag back and left the release's file URIs (a docs audit). A new run (a new release, workflow_dispatch) gets a new
 * value. `Auto` taken literally would re-run the extension once and then never again, silently.
 */
function parseForceUpdateTag(value: string, env: Env): string {
  if (value.toLowerCase() !== "auto") return value;
  const runId = env["GITHUB_RUN_ID"];
  if (!runId) {
    throw new InputError(
      "force-update-tag",
      "auto needs GITHUB_RUN_ID, which GitHub Actions sets; outside a workflow run give an explicit value",
    );
  }
  return autoForceUpdateTag(runId);
}

// ───────────────────────────── rollout ─────────────────────────────

function parseRollout(inputs: Inputs): RolloutOptions {
  const canary = inputs.canary;
  const batchSize = parseSize("batch-size", inputs["batch-size"]);
  const pauseBetweenBatchesMs = parseDuration("pause-between-batches", inputs["pause-between-batches"], {
    allowZero: true,
  });
  const maxUnhealthyPercent = parsePercent("max-unhealthy", inputs["max-unhealthy"]);
  // action.yml's defaults, parsed as the inputs are: a value equal to its default was not chosen.
  const defaultSize = parseSize("batch-size", DEFAULTS["batch-size"] ?? "");
  const nonDefaultBatchOptions: BatchOption[] = [
    ...(batchSize.kind !== defaultSize.kind || batchSize.value !== defaultSize.value ? ["batch-size" as const] : []),
    ...(canary ? ["canary" as const] : []),
    ...(maxUnhealthyPercent !== parsePercent("max-unhealthy", DEFAULTS["max-unhealthy"] ?? "")
      ? ["max-unhealthy" as const]
      : []),
    ...(pauseBetweenBatchesMs !==
    parseDuration("pause-between-batches", DEFAULTS["pause-between-batches"] ?? "", { allowZero: true })
      ? ["pause-between-batches" as const]
      : []),
  ];
  const timeoutMs = parseDuration("timeout", inputs.timeout);
  const healthTimeoutMs = parseDuration("health-timeout", inputs["health-timeout"]);
  // A run may last timeout, and then health-timeout more for a rollback (and its lease as long): one timer of Node's.
  if (timeoutMs + healthTimeoutMs > MAX_DURATION_MS) {
    // Named: health-timeout when it was set to something else than its default, else timeout (the one the user set).
    const healthSet = inputs["health-timeout"] !== DEFAULTS["health-timeout"];
    const [named, other] = healthSet
      ? (["health-timeout", "timeout"] as const)
      : (["timeout", "health-timeout"] as const);
    throw new InputError(
      named,
      `${quoted(inputs[named])} with ${other} ${quoted(inputs[other])}${healthSet ? "" : " (its default)"} adds up to more ` +
        `than 576h (24 days), the longest a run may last with its rollback: shorten ${named}` +
        `${healthSet ? ` or ${other}` : ` to at most ${durationInput(MAX_DURATION_MS - healthTimeoutMs)}`}`,
    );
  }
  return {
    batchSize,
    ...(canary ? { canary: parseSize("canary", canary) } : {}),
    pauseBetweenBatchesMs,
    health: parseChoice("health", inputs.health, ["auto", "off"]),
    healthTimeoutMs,
    maxUnhealthyPercent,
    rollbackOnFailure: parseBoolean("rollback-on-failure", inputs["rollback-on-failure"]),
    timeoutMs,
    pollIntervalMs: parseDuration("poll-interval", inputs["poll-interval"]),
    leaseDurationMs: parseLeaseDuration(inputs["lease-duration"]),
    leaseWaitMs: parseDuration("lease-wait", inputs["lease-wait"], { allowZero: true }),
    dryRun: parseBoolean("dry-run", inputs["dry-run"]),
    nonDefaultBatchOptions,
  };
}

/** The lease is renewed every third of lease-duration: shorter than 30s would renew more often than every 10s. */
function parseLeaseDuration(value: string): number {
  // Zero is let through here so that it gets the same answer as any other too short a lease.
  const ms = parseDuration("lease-duration", value, { allowZero: true });
  if (ms < MIN_LEASE_MS)
    throw new InputError(
      "lease-duration",
      `${quoted(value)} is too short: at least 30s (the lease is renewed every third of it)`,
    );
  return ms;
}

function parseSize(input: InputName, value: string): Size {
  const percent = /^(\d+)%$/.exec(value);
  if (percent) {
    const n = Number(percent[1]);
    if (n >= 1 && n <= 100) return { kind: "percent", value: n };
  } else if (/^\d+$/.test(value)) {
    const n = Number(value);
    if (n >= 1 && Number.isSafeInteger(n)) return { kind: "count", value: n };
    if (n >= 1)
      throw new InputError(
        input,
        `${quoted(value)} is too large a count of instances (a scale set has at most 1,000)` +
          (input === "batch-size" ? ": use 100% for every instance at once" : ""),
      );
  }
  const none = input === "canary" ? "; leave canary empty for no canary" : "";
  throw new InputError(
    input,
    `${quoted(value)} is not a size: use a count of instances (at least 1, e.g. 5) or a whole percentage from 1% to 100% (e.g. 20%)${none}`,
  );
}

function parsePercent(input: InputName, value: string): number {
  const match = /^(\d+)%$/.exec(value);
  const n = Number(match?.[1]);
  if (match && n <= 100) return n;
  throw new InputError(
    input,
    `${quoted(value)} is not a percentage: use a whole percentage from 0% to 100% (e.g. 20%)`,
  );
}

/** Node timers fire at once for delays above 2^31-1 ms, so durations stop at 24 days (far beyond any job limit). */
const MAX_DURATION_MS = 24 * 24 * 3_600_000;
const DURATION_EXAMPLES = "90s, 15m, 2h, 1h30m, 500ms or PT1H30M";

function parseDuration(input: InputName, value: string, options: { allowZero?: boolean } = {}): number {
  const ms = durationMs(value);
  if (ms === undefined) {
    const hint = /^\d{1,12}$/.test(value) ? ` (add a unit, e.g. ${value}s or ${value}m)` : "";
    throw new InputError(input, `${quoted(value)} is not a duration${hint}: use e.g. ${DURATION_EXAMPLES}`);
  }
  if (ms === 0 && !options.allowZero) {
    throw new InputError(input, `${quoted(value)} must be longer than zero: use e.g. ${DURATION_EXAMPLES}`);
  }
  if (ms > MAX_DURATION_MS) throw new InputError(input, `${quoted(value)} is too long: at most 576h (24 days)`);
  return ms;
}

function durationMs(value: string): number | undefined {
  if (value === "0") return 0;
  // Any case, as the ISO form: `1H30M` and `500MS` are what they look like (`m` is minutes and `ms` milliseconds either way).
  const short = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/i.exec(value);
  if (short && value !== "") {
    const [, h = "0", m = "0", s = "0", ms = "0"] = short;
    return ((Number(h) * 60 + Number(m)) * 60 + Number(s)) * 1000 + Number(ms);
  }
  const iso = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(value);
  if (iso && !/^P$|T$/i.test(value)) {
    const [, d = "0", h = "0", m = "0", s = "0"] = iso;
    return Math.round((((Number(d) * 24 + Number(h)) * 60 + Number(m)) * 60 + Number(s)) * 1000);
  }
  return undefined;
}

/** The spellings @actions/core's getBooleanInput accepts (YAML 1.2 core schema). */
function parseBoolean(input: InputName, value: string): boolean {
  if (["true", "True", "TRUE"].includes(value)) return true;
  if (["false", "False", "FALSE"].includes(value)) return false;
  throw new InputError(input, `${quoted(value)} is not a boolean: use true or false`);
}

function parseChoice<T extends string>(input: InputName, value: string, choices: readonly T[]): T {
  const found = choices.find((choice) => choice === value.toLowerCase());
  if (found) return found;
  throw new InputError(input, `${quoted(value)} is not one of ${choices.join(", ")}`);
}

// ───────────────────────────── sign-in ─────────────────────────────

/** azure/login's `creds` JSON, the fields this action uses. Other fields (the --sdk-auth extras) are ignored. */
interface Creds {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly tenantId: string;
  readonly subscriptionId?: string;
  readonly resourceManagerEndpointUrl?: string;
}

const CREDS_SHAPE =
  "azure/login's JSON {clientId, clientSecret, tenantId, subscriptionId, optional resourceManagerEndpointUrl}";

/** Never quotes the input or JSON.parse's message: both can contain the client secret. */
function parseCreds(text: string): Creds {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InputError("creds", `is not valid JSON: expected ${CREDS_SHAPE}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new InputError("creds", `is not a JSON object: expected ${CREDS_SHAPE}`);
  }
  const record = parsed as Record<string, unknown>;
  const field = (name: string, required: boolean): string | undefined => {
    const value = record[name];
    if (value === undefined || value === null || value === "") {
      if (required) throw new InputError("creds", `has no ${name}: expected ${CREDS_SHAPE}`);
      return undefined;
    }
    if (typeof value !== "string")
      throw new InputError("creds", `field ${name} must be a string: expected ${CREDS_SHAPE}`);
    // The secret is used exactly as given; identifiers are trimmed like every other input.
    if (name === "clientSecret") return value;
    // A JSON string may hold escaped line breaks: one in an echoed field (resourceManagerEndpointUrl) would reach the log.
    if (CONTROL.test(value.trim())) {
      throw new InputError("creds", `field ${name} contains a line break or control character: give it on one line`);
    }
    return value.trim();
  };
  const clientId = field("clientId", true) ?? "";
  const tenantId = field("tenantId", true) ?? "";
  const clientSecret = field("clientSecret", true) ?? "";
  const subscriptionId = field("subscriptionId", false);
  const resourceManagerEndpointUrl = field("resourceManagerEndpointUrl", false);
  for (const [name, value] of [
    ["clientId", clientId],
    ["tenantId", tenantId],
    ["subscriptionId", subscriptionId],
  ] as const) {
    if (value !== undefined && !GUID.test(value))
      throw new InputError(
        "creds",
        `field ${name} must be a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx), as az ad sp create-for-rbac --sdk-auth writes it`,
      );
  }
  return {
    clientId,
    clientSecret,
    tenantId,
    ...(subscriptionId ? { subscriptionId } : {}),
    ...(resourceManagerEndpointUrl ? { resourceManagerEndpointUrl } : {}),
  };
}

const AUTH_MODES = ["auto", "oidc", "creds", "azure-cli", "managed-identity"] as const;

/**
 * `auth: auto` picks, in order: creds if given; OIDC if client-id and tenant-id are given; else the Azure CLI session
 * an earlier azure/login step left (whether that session exists is only known when a token is requested).
 * Explicit modes check that what they need is there and that nothing unused was given.
 */
function parseAuth(inputs: Inputs, creds: Creds | undefined, env: Env): AuthConfig {
  const mode = parseChoice("auth", inputs.auth, AUTH_MODES);
  const clientId = inputs["client-id"] ? parseGuid("client-id", inputs["client-id"]) : undefined;
  const tenantId = inputs["tenant-id"] ? parseGuid("tenant-id", inputs["tenant-id"]) : undefined;
  const canRequestIdToken = Boolean(env["ACTIONS_ID_TOKEN_REQUEST_URL"]);

  if (creds && mode !== "auto" && mode !== "creds") {
    throw new InputError("creds", `is set but auth is ${mode}: remove creds or use auth: creds`);
  }

  switch (mode) {
    case "auto":
      if (creds) return credsAuth(creds, clientId, tenantId);
      if (clientId && tenantId) {
        if (!canRequestIdToken)
          throw new InputError("auth", `client-id and tenant-id ask for OIDC, but ${ID_TOKEN_PERMISSION}`);
        return { mode: "oidc", clientId, tenantId, audience: inputs.audience };
      }
      if (clientId) {
        throw new InputError(
          "tenant-id",
          `is missing: OIDC needs client-id and tenant-id (a user-assigned managed identity needs auth: managed-identity). Ways to sign in: ${SIGN_IN_WAYS}`,
        );
      }
      return { mode: "azure-cli", ...(tenantId ? { tenantId } : {}) };
    case "creds":
      if (!creds) throw new InputError("creds", `is required with auth: creds: give ${CREDS_SHAPE}`);
      return credsAuth(creds, clientId, tenantId);
    case "oidc":
      if (!clientId)
        throw new InputError(
          "client-id",
          "is required with auth: oidc (the app registration or managed identity with the federated credential)",
        );
      if (!tenantId) throw new InputError("tenant-id", "is required with auth: oidc");
      if (!canRequestIdToken) throw new InputError("auth", `is oidc but ${ID_TOKEN_PERMISSION}`);
      return { mode: "oidc", clientId, tenantId, audience: inputs.audience };
    case "azure-cli":
      if (clientId)
        throw new InputError(
          "client-id",
          "has no effect with auth: azure-cli (the signed-in CLI identity is used): remove it",
        );
      return { mode: "azure-cli", ...(tenantId ? { tenantId } : {}) };
    case "managed-identity":
      // tenant-id is parsed (a GUID) but unused: azure/login's managed-identity examples set it, so a copied setting
      // gets a warning (inputWarnings), not a refusal.
      return { mode: "managed-identity", ...(clientId ? { clientId } : {}) };
  }
}

/** creds carries client and tenant; the separate inputs may repeat them (as copied azure/login settings do) but not contradict them. */
function credsAuth(creds: Creds, clientId: string | undefined, tenantId: string | undefined): AuthConfig {
  if (clientId && clientId.toLowerCase() !== creds.clientId.toLowerCase()) {
    throw new InputError("client-id", "differs from creds' clientId: remove one of them");
  }
  if (tenantId && tenantId.toLowerCase() !== creds.tenantId.toLowerCase()) {
    throw new InputError("tenant-id", "differs from creds' tenantId: remove one of them");
  }
  return { mode: "creds", clientId: creds.clientId, clientSecret: creds.clientSecret, tenantId: creds.tenantId };
}

/** The sign-in a run uses, as a warning names it: the way and, when `auth: auto` chose it, why. */
function describeSignIn(auth: AuthConfig, asked: string): string {
  const chosen = asked.toLowerCase() === "auto";
  switch (auth.mode) {
    case "creds":
      return "creds (a service principal's client secret)";
    case "oidc":
      return "OIDC";
    case "azure-cli":
      return chosen
        ? "the Azure CLI session of an earlier azure/login step (auth: auto, with neither creds nor client-id and tenant-id)"
        : "the Azure CLI session of an earlier azure/login step (auth: azure-cli)";
    case "managed-identity":
      return "the runner's managed identity (auth: managed-identity)";
  }
}

/**
 * Inputs that are valid but do nothing with the sign-in this run uses: warnings, never refusals (a workflow that
 * passes today keeps passing). Values quoted are identifiers and URLs without query, never a secret.
 */
function inputWarnings(inputs: Inputs, auth: AuthConfig, change: ChangeRequest, env: Env): InputWarning[] {
  const warnings: InputWarning[] = [];
  // auth: auto with tenant-id and no client-id signs in with the Azure CLI. In a job that may request an OIDC token,
  // that is more likely a client-id from a secret or variable that is empty here (an input review's find, 2026-12-05):
  // the CLI's "not signed in" would then be all the run says.
  if (
    auth.mode === "azure-cli" &&
    inputs.auth.trim().toLowerCase() === "auto" &&
    inputs["tenant-id"] &&
    !inputs["client-id"] &&
    env["ACTIONS_ID_TOKEN_REQUEST_URL"]
  ) {
    warnings.push({
      title: "client-id is empty",
      message:
        `tenant-id is set but client-id is empty, so auth: auto signs in with the Azure CLI session, not OIDC. If ` +
        `client-id comes from a secret or variable, it is empty in this job; to sign in with the Azure CLI on purpose, ` +
        `set auth: azure-cli.`,
    });
  }
  const repeats = repeatedFileUris(change.extension?.fileUris ?? []);
  if (repeats.length > 0) {
    warnings.push({
      title: "extension-file-uris repeats a URI",
      message:
        `extension-file-uris names the same URI more than once: ${repeats.join("; ")}. The list is sent as given, ` +
        `so the extension gets the same file twice: remove the repeated ${repeats.length === 1 ? "entry" : "entries"}.`,
    });
  }
  const way = describeSignIn(auth, inputs.auth);
  if (auth.mode !== "oidc" && inputs.audience !== DEFAULTS.audience) {
    warnings.push({
      title: "audience ignored",
      message:
        `audience ${quoted(inputs.audience)} has no effect: this run signs in with ${way}, not OIDC, and audience only ` +
        `sets the audience of the GitHub OIDC token that OIDC sign-in exchanges. Remove audience, or sign in with OIDC ` +
        `(client-id and tenant-id, with permissions: id-token: write).`,
    });
  }
  if (auth.mode === "managed-identity" && inputs["tenant-id"]) {
    warnings.push({
      title: "tenant-id ignored",
      message:
        `tenant-id ${quoted(inputs["tenant-id"])} has no effect: this run signs in with ${way}, whose tokens are ` +
        `always of the identity's own tenant. Remove tenant-id (azure/login's managed-identity sign-in takes it; ` +
        `this action does not need it).`,
    });
  }
  const authorityHost = inputs["authority-host"];
  if (authorityHost && (auth.mode === "azure-cli" || auth.mode === "managed-identity")) {
    const source =
      auth.mode === "azure-cli"
        ? "the Azure CLI gets its tokens from the cloud it is signed in to (azure/login's environment, az cloud set)"
        : "a managed identity gets its tokens from the metadata endpoint of the machine the runner is on";
    warnings.push({
      title: "authority-host ignored",
      message:
        `authority-host ${quoted(authorityHost)} has no effect: this run signs in with ${way}, and ${source}, not from ` +
        `Microsoft Entra at authority-host. Remove authority-host (environment and arm-endpoint still choose the cloud), ` +
        `or sign in with creds or OIDC to use it.`,
    });
  }
  return warnings;
}

/**
 * Rollout options that cannot do what they say, known from the inputs alone: warnings, never refusals (a workflow
 * that passes today keeps passing), given before anything is read or written. Those that depend on the scale set
 * (domain/option-warnings.ts) come once it is read, still before the first write.
 */
function rolloutWarnings(inputs: Inputs, rollout: RolloutOptions): InputWarning[] {
  const warnings: InputWarning[] = [];
  const { timeoutMs, pollIntervalMs, pauseBetweenBatchesMs, leaseWaitMs, healthTimeoutMs } = rollout;
  // Each duration as the workflow gives it (or its default): the user finds it by that text.
  const given = (
    name: "timeout" | "poll-interval" | "pause-between-batches" | "lease-wait" | "health-timeout",
  ): string => `${name} ${inputs[name] || DEFAULTS[name] || ""}`;
  const timeout = given("timeout");
  if (timeoutMs <= pollIntervalMs) {
    warnings.push({
      title: "timeout within one poll-interval",
      message:
        `${timeout} is not longer than ${given("poll-interval")}: the run reads how an upgrade ` +
        `goes about once a poll-interval, so it will likely time out before its first batch is judged, maybe after ` +
        `the model was written. Set timeout to cover the whole rollout (default ${DEFAULTS.timeout}).`,
    });
  }
  if (pauseBetweenBatchesMs > 0 && pauseBetweenBatchesMs >= timeoutMs) {
    warnings.push({
      title: "pause-between-batches outlasts timeout",
      message:
        `${given("pause-between-batches")} is not shorter than ${timeout}: a rollout of ` +
        `more than one batch times out in its first pause. Shorten the pause or lengthen timeout.`,
    });
  }
  if (healthTimeoutMs >= timeoutMs) {
    warnings.push({
      title: "health-timeout outlasts timeout",
      message:
        `${given("health-timeout")} is not shorter than ${timeout}: a batch's wait for its instances to turn ` +
        `healthy is cut off by timeout first, so a slow batch ends the run as timed out rather than unhealthy. ` +
        `Shorten health-timeout or lengthen timeout.`,
    });
  }
  if (leaseWaitMs > 0 && leaseWaitMs >= timeoutMs) {
    warnings.push({
      title: "lease-wait outlasts timeout",
      message:
        `${given("lease-wait")} is not shorter than ${timeout}: lease-wait counts against timeout, ` +
        `so a run that waits that long for another run's lease has no time left to roll out. Shorten lease-wait or ` +
        `lengthen timeout.`,
    });
  }
  return warnings;
}

/**
 * The extension-file-uris entries that name the same file as an earlier one, each as `entry 3 of 4 (<URI before its
 * query>) repeats entry 1`. The same file: the same scheme, host (in any case), port (`:443` written or not) and path; a
 * query string (a SAS token, usually) is left out of the comparison, since another token for the same blob downloads
 * the same file again, and it is never shown.
 */
function repeatedFileUris(uris: readonly string[]): string[] {
  const first = new Map<string, number>();
  const repeats: string[] = [];
  uris.forEach((uri, index) => {
    const file = fileOf(uri);
    const earlier = first.get(file);
    if (earlier === undefined) {
      first.set(file, index);
      return;
    }
    const q = uri.indexOf("?");
    const shown = q === -1 ? quoted(uri) : `${quoted(uri.slice(0, q))} with a query string, not shown`;
    const how = uri === uris[earlier] ? "" : ", the same file written another way";
    repeats.push(`entry ${index + 1} of ${uris.length} (${shown}) repeats entry ${earlier + 1}${how}`);
  });
  return repeats;
}

/** What a file URI downloads: its origin (scheme, host and port as the URL standard writes them) and its path. */
function fileOf(uri: string): string {
  try {
    const url = new URL(uri);
    return `${url.origin}${url.pathname}`;
  } catch {
    return uri;
  }
}

// ───────────────────────────── cloud ─────────────────────────────

function parseCloud(inputs: Inputs, creds: Creds | undefined): Cloud {
  const armInput = inputs["arm-endpoint"];
  const armFromCreds = creds?.resourceManagerEndpointUrl;
  const authorityHost = inputs["authority-host"] || undefined;
  if (armInput && armFromCreds && !sameEndpoint(armInput, armFromCreds)) {
    throw new InputError(
      "arm-endpoint",
      `${quoted(uriWithoutUserinfo(armInput))} differs from creds' resourceManagerEndpointUrl ${quoted(uriWithoutUserinfo(armFromCreds))}: remove one of them`,
    );
  }
  if (armInput || !armFromCreds) {
    return resolveCloud(inputs.environment, {
      ...(armInput ? { armEndpoint: armInput } : {}),
      ...(authorityHost ? { authorityHost } : {}),
    });
  }
  try {
    return resolveCloud(inputs.environment, { armEndpoint: armFromCreds, ...(authorityHost ? { authorityHost } : {}) });
  } catch (err) {
    // The endpoint came from creds, so that is the input to fix.
    if (err instanceof InputError && err.input === "arm-endpoint") {
      throw new InputError(
        "creds",
        `resourceManagerEndpointUrl: ${err.message.replace(/^Input 'arm-endpoint': /, "")}`,
      );
    }
    throw err;
  }
}

function trimSlashes(url: string): string {
  return url.trim().replace(/\/+$/, "");
}

/**
 * Whether two spellings name one endpoint: as a URL parser reads them (the scheme and host in any case, a default port
 * written or not: `https://management.azure.com:443/`), trailing slashes aside. Text that does not parse is compared as
 * written (resolveCloud refuses it then).
 */
function sameEndpoint(a: string, b: string): boolean {
  const key = (url: string): string => {
    try {
      const u = new URL(url.trim());
      return `${u.protocol}//${u.host}${trimSlashes(u.pathname)}`.toLowerCase();
    } catch {
      return trimSlashes(url).toLowerCase();
    }
  };
  return key(a) === key(b);
}

// ───────────────────────────── GitHub ─────────────────────────────

/** The runner's GITHUB_* variables (https://docs.github.com/actions/reference/variables-reference); none outside a run. */
function parseGitHubContext(env: Env, pullRequestHeadSha?: string): GitHubContext | undefined {
  const repository = env["GITHUB_REPOSITORY"]?.trim();
  if (!repository) return undefined;
  const optional = (name: string): string | undefined => env[name]?.trim() || undefined;
  const url = (name: string, fallback: string): string => {
    const value = optional(name) ?? fallback;
    try {
      return new URL(value).href.replace(/\/+$/, "");
    } catch {
      return fallback;
    }
  };
  const ref = optional("GITHUB_REF");
  const sha = optional("GITHUB_SHA");
  const runId = optional("GITHUB_RUN_ID");
  const runAttempt = optional("GITHUB_RUN_ATTEMPT");
  const workflow = optional("GITHUB_WORKFLOW");
  return {
    serverUrl: url("GITHUB_SERVER_URL", "https://github.com"),
    apiUrl: url("GITHUB_API_URL", "https://api.github.com"),
    repository,
    ...(ref ? { ref } : {}),
    ...(sha ? { sha } : {}),
    ...(pullRequestHeadSha ? { pullRequestHeadSha } : {}),
    ...(runId ? { runId } : {}),
    ...(runAttempt ? { runAttempt } : {}),
    ...(workflow ? { workflow } : {}),
  };
}

/** A dry run's github-token, unused (it records no deployment), masked all the same. */
function dryRunToken(inputs: Inputs, rollout: RolloutOptions): string[] {
  const token = inputs["github-token"];
  return rollout.dryRun && inputs["deployment-environment"] && token && !token.startsWith("${{") ? [token] : [];
}

/**
 * GitHub environment names: at most 255 characters (GitHub's documented limit), no control characters. Case is
 * kept: GitHub matches environment names case-insensitively.
 */
function parseDeployment(inputs: Inputs, github: GitHubContext | undefined): DeploymentConfig | undefined {
  const environment = inputs["deployment-environment"];
  if (!environment) return undefined;
  // eslint-disable-next-line no-control-regex
  if (environment.length > 255 || /[\u0000-\u001f\u007f]/.test(environment)) {
    throw new InputError(
      "deployment-environment",
      `${quoted(environment)} is not a GitHub environment name: at most 255 characters, no control characters`,
    );
  }
  if (!github?.sha) {
    throw new InputError(
      "deployment-environment",
      "needs GITHUB_REPOSITORY and GITHUB_SHA, which GitHub Actions sets: outside a workflow run, leave it empty",
    );
  }
  const token = inputs["github-token"];
  if (!token || token.startsWith("${{")) {
    throw new InputError(
      "github-token",
      "is empty: deployment-environment records a GitHub deployment with it (the default is ${{ github.token }})",
    );
  }
  return { environment, token };
}

// ───────────────────────────── helpers ─────────────────────────────

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function parseGuid(input: InputName, value: string): string {
  if (GUID.test(value)) return value;
  throw new InputError(input, `${quoted(value)} is not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)`);
}

/** What a required input takes, for the error when it is empty. */
const REQUIRED_WHAT: Partial<Record<InputName, string>> = {
  "resource-group": "the name of the scale set's resource group, e.g. rg-web",
  "scale-set": "the scale set's name, e.g. vmss-web",
};

function required(inputs: Inputs, name: InputName): string {
  const value = inputs[name];
  const what = REQUIRED_WHAT[name];
  if (!value) throw new InputError(name, what ? `is required: ${what}` : "is required");
  return value;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
