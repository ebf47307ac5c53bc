// Azure's limits on a resource's tags, checked before a tag write is sent, so that the action says what does not fit
// instead of Azure refusing the write (or, worse, a value being cut). Pure.
//
// Limits (learn.microsoft.com, "Use tags to organize your Azure resources", Limitations): at most 50 tag name/value
// pairs on a resource; a name at most 512 characters, a value at most 256; names may not contain `<`, `>`, `%`, `&`,
// `\`, `?` or `/`.

export const MAX_TAGS = 50;
export const MAX_TAG_NAME = 512;
export const MAX_TAG_VALUE = 256;
const FORBIDDEN_IN_NAME = /[<>%&\\?/]/;

/** Why Azure would refuse these tags (one line), or undefined when they are within its limits. */
export function tagLimitProblem(tags: Readonly<Record<string, string>>): string | undefined {
  const names = Object.keys(tags);
  if (names.length > MAX_TAGS)
    return `the scale set would carry ${names.length} tags and Azure allows ${MAX_TAGS} on a resource`;
  for (const name of names) {
    if (name.length === 0) return "a tag name is empty";
    if (name.length > MAX_TAG_NAME)
      return `the tag name '${name.slice(0, 40)}…' is ${name.length} characters long (Azure allows ${MAX_TAG_NAME})`;
    if (FORBIDDEN_IN_NAME.test(name))
      return `the tag name '${name}' holds a character Azure refuses in tag names (< > % & \\ ? /)`;
    const value = tags[name] ?? "";
    if (value.length > MAX_TAG_VALUE)
      return `the value of tag '${name}' is ${value.length} characters long (Azure allows ${MAX_TAG_VALUE})`;
  }
  return undefined;
}
