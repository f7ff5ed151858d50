; Inno Setup 6 script: the Windows installer of the one-folder bundle.
;
; Build the bundle first (python dev.py bundle, on Windows), then compile this script:
;     "%ProgramFiles(x86)%\Inno Setup 6\ISCC.exe" build\installer.iss
; The installer lands in build\dist\installer\CaliberDesktop-<version>-setup.exe.
;
; build.py writes build\work\version.iss with the app's version (caliber_desktop.__version__);
; /DAppVersion=1.2.3 on the ISCC command line overrides it. Signing: see build\README.md
; (SignTool below signs the installer and the uninstaller when a sign tool named "caliber" is
; configured in the Inno Setup IDE or passed with /Scaliber=...).

#ifndef AppVersion
  #if FileExists(AddBackslash(SourcePath) + "work\version.iss")
    #include "work\version.iss"
  #else
    #error Run build\build.py first (it writes work\version.iss) or pass /DAppVersion=x.y.z
  #endif
#endif

#define AppName "Caliber Desktop"
#define AppExe "caliber-desktop.exe"
#define BundleDir AddBackslash(SourcePath) + "dist\caliber-desktop"

[Setup]
; A fixed id: upgrades replace the previous install instead of adding a second one.
AppId={{6A0E5C2B-8E7F-4C1D-9B53-CA11BE5DE5C7}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=Caliber
VersionInfoVersion={#AppVersion}
; Per-user install: no administrator rights, under %LOCALAPPDATA%\Programs.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
DefaultDirName={autopf}\Caliber Desktop
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
OutputDir=dist\installer
OutputBaseFilename=CaliberDesktop-{#AppVersion}-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
CloseApplications=yes
#if FileExists(AddBackslash(SourcePath) + "work\icons\caliber.ico")
SetupIconFile=work\icons\caliber.ico
#endif
; SignTool=caliber
; SignedUninstaller=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
; The whole one-folder bundle: the three executables and _internal\.
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{group}\{#AppName} (debug console)"; Filename: "{app}\caliber-desktop-debug.exe"
Name: "{group}\Uninstall {#AppName}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

; The data dir (%LOCALAPPDATA%\Caliber\Caliber: the database, uploads, logs) is the analyst's
; work and is deliberately kept on uninstall; delete that folder by hand to remove it too.
