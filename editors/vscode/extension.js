// Starts `pipec lsp` (the `pipec.path` setting) for .pipe files.
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration("pipec").get("path", "pipec");
  client = new LanguageClient("pipec", "pipec", { command, args: ["lsp"] }, { documentSelector: [{ language: "pipe" }] });
  context.subscriptions.push({ dispose: () => client.stop() });
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
