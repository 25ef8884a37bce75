# Collects a runnable Lorafit folder and (optionally) builds the NSIS installer.
#   powershell -ExecutionPolicy Bypass -File packaging\windows\deploy.ps1 `
#       -Build build\release -LibTorch C:\libtorch -QCustomPlot C:\qcustomplot [-Installer]
# Result: dist\Lorafit\ (lorafit.exe, lorafit-cli.exe, Qt via windeployqt, LibTorch and
# QCustomPlot DLLs, the demo, licence) and with -Installer dist\Lorafit-<version>-setup.exe.
param(
    [Parameter(Mandatory = $true)][string]$Build,
    [Parameter(Mandatory = $true)][string]$LibTorch,
    [Parameter(Mandatory = $true)][string]$QCustomPlot,
    [string]$Out = "dist",
    [switch]$Installer
)
$ErrorActionPreference = "Stop"
$root = Split-Path -Parent (Split-Path -Parent $PSScriptRoot)
$target = Join-Path $Out "Lorafit"
if (Test-Path $target) { Remove-Item -Recurse -Force $target }
New-Item -ItemType Directory -Force -Path $target | Out-Null

foreach ($exe in @("app\gui\lorafit.exe", "app\cli\lorafit-cli.exe")) {
    $path = Join-Path $Build $exe
    if (-not (Test-Path $path)) { throw "missing $path (hint: build the release preset first)" }
    Copy-Item $path $target
}
# Qt libraries, plugins (platforms, styles, imageformats, iconengines for the SVG icon).
& windeployqt --release --no-translations --compiler-runtime (Join-Path $target "lorafit.exe")
if ($LASTEXITCODE -ne 0) { throw "windeployqt failed (hint: put Qt's bin folder on PATH)" }
# LibTorch (CPU or CUDA build: every DLL it ships, including the CUDA runtime ones).
Copy-Item (Join-Path $LibTorch "lib\*.dll") $target
Copy-Item (Join-Path $QCustomPlot "bin\*.dll") $target
# The demo and the licence, where the app looks for them (share\lorafit next to bin on Linux).
$share = Join-Path $target "share\lorafit"
New-Item -ItemType Directory -Force -Path $share | Out-Null
Copy-Item -Recurse (Join-Path $root "resources\demo") $share
Copy-Item (Join-Path $root "LICENSE") $target

& (Join-Path $target "lorafit-cli.exe") --version
if ($LASTEXITCODE -ne 0) { throw "the deployed lorafit-cli does not start (a DLL is missing)" }

if ($Installer) {
    $version = (& (Join-Path $target "lorafit-cli.exe") --version | Select-String -Pattern "\d+\.\d+\.\d+").Matches[0].Value
    & makensis "/DVERSION=$version" "/DSOURCE=$((Resolve-Path $target).Path)" "/DOUTFILE=$((Resolve-Path $Out).Path)\Lorafit-$version-setup.exe" (Join-Path $PSScriptRoot "lorafit.nsi")
    if ($LASTEXITCODE -ne 0) { throw "makensis failed (hint: install NSIS 3 and put it on PATH)" }
}
Write-Host "Lorafit deployed to $target"
