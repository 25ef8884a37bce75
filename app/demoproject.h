// The built-in demo: a small Llama-architecture model pretrained by Lorafit,
// a style-transfer dataset and LoRA+ settings (resources/demo, installed to
// share/lorafit/demo), and a second preset that tunes the same model with DPO
// on preference pairs made from that data (dpo.json). Opening the demo makes a real project from demo.json
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

// The demo presets: settings documents in the demo folder.
enum class DemoPreset {
    StyleTransfer, // demo.json: supervised LoRA+ on archaic -> modern English
    Preference,    // dpo.json: DPO on pairs (modern answer chosen, archaic rejected)
};

// Where a demo project lives by default: <app data>/demo/Demo.lorafit (DPO Demo.lorafit).
QString defaultDemoProjectPath(DemoPreset preset = DemoPreset::StyleTransfer);

// Opens the demo project at `projectPath` in `document`, creating it from
// the preset's settings when the file does not exist yet. Returns an empty
// string, or what went wrong (naming the file).
QString openDemoProject(ProjectDocument &document, const QString &projectPath,
                        DemoPreset preset = DemoPreset::StyleTransfer);

// One line for the status bar or the terminal: what to press and what to expect.
QString demoHint(DemoPreset preset = DemoPreset::StyleTransfer);

} // namespace app
