// The built-in demo: a small Llama-architecture model pretrained by Lorafit,
// a style-transfer dataset and LoRA+ settings (resources/demo, installed to
// share/lorafit/demo). Opening the demo makes a real project from demo.json
// in a writable folder, so the shipped files stay untouched and the demo's
// runs are kept like any other project's.
#pragma once

#include <QString>

namespace app {

class ProjectDocument;

// The demo folder (with demo.json), or empty when none is found: the
// LORAFIT_DEMO_DIR environment variable, then <exe>/../share/lorafit/demo
// (installed), then the source tree's resources/demo (a build tree).
QString demoFolder();

// Where the demo project lives by default: <app data>/demo/Demo.lorafit.
QString defaultDemoProjectPath();

// Opens the demo project at `projectPath` in `document`, creating it from
// demo.json when the file does not exist yet. Returns an empty string, or
// what went wrong (naming the file).
QString openDemoProject(ProjectDocument &document, const QString &projectPath);

// One line for the status bar or the terminal: what to press and what to expect.
QString demoHint();

} // namespace app
