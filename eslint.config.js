// ESLint: typescript-eslint's type-aware recommended rules on every TypeScript file of the project; formatting is
// Prettier's (`npm run format`), so eslint-config-prettier turns off the rules that would disagree with it.
import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "build/", "coverage/", "node_modules/", "demo/out/", "**/*.mjs", "**/*.js"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // A `let` assigned once after closures that read it (the emulator wires parts that refer to each other).
      "prefer-const": ["error", { ignoreReadBeforeAssign: true }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-import-type-side-effects": "error",
    },
  },
  {
    // Tests read JSON bodies and use vitest's asymmetric matchers (expect.objectContaining returns any), and the
    // emulator keeps ARM bodies as open JSON trees (emulator/arm/wire.ts `Wire`) so a PATCH merges exactly as sent:
    // there, `any` is the data's honest type. Source under src/ gets the full type-aware set.
    files: ["test/**", "emulator/**", "bench/**"],
    rules: {
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-explicit-any": "off",
    },
  },
  prettier,
);
