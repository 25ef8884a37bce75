; NSIS 3 installer for Lorafit; driven by deploy.ps1, which passes
; /DVERSION=x.y.z /DSOURCE=<deployed folder> /DOUTFILE=<setup.exe>.
Unicode true
!include "MUI2.nsh"

Name "Lorafit ${VERSION}"
OutFile "${OUTFILE}"
InstallDir "$PROGRAMFILES64\Lorafit"
InstallDirRegKey HKLM "Software\Lorafit" "InstallDir"
RequestExecutionLevel admin

!insertmacro MUI_PAGE_LICENSE "${SOURCE}\LICENSE"
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

Section "Lorafit"
  SetOutPath "$INSTDIR"
  File /r "${SOURCE}\*.*"
  WriteRegStr HKLM "Software\Lorafit" "InstallDir" "$INSTDIR"
  WriteUninstaller "$INSTDIR\uninstall.exe"
  CreateShortcut "$SMPROGRAMS\Lorafit.lnk" "$INSTDIR\lorafit.exe"
  WriteRegStr HKLM "Software\Microsoft\Windows\CurrentVersion\Uninstall\Lorafit" "DisplayName" "Lorafit ${VERSION}"
  WriteRegStr HKLM "Software\Microsoft\Windows\CurrentVersion\Uninstall\Lorafit" "UninstallString" "$INSTDIR\uninstall.exe"
  WriteRegStr HKLM "Software\Microsoft\Windows\CurrentVersion\Uninstall\Lorafit" "DisplayVersion" "${VERSION}"
SectionEnd

Section "Uninstall"
  Delete "$SMPROGRAMS\Lorafit.lnk"
  RMDir /r "$INSTDIR"
  DeleteRegKey HKLM "Software\Microsoft\Windows\CurrentVersion\Uninstall\Lorafit"
  DeleteRegKey HKLM "Software\Lorafit"
SectionEnd
