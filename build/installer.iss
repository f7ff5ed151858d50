; Inno Setup 6 script: the Windows installer of the one-folder bundle.
;
; Build the bundle first (python dev.py bundle, on Windows), then compile this script:
;     "%ProgramFiles(x86)%\Inno Setup 6\ISCC.exe" build\installer.iss
; The installer lands in build\dist\installer\CaliberDesktop-<version>-setup.exe.
;
; build.py writes build\work\version.iss with the app's version (caliber_desktop.__version__) and
; its numeric part for the file's version resource; /DAppVersion=1.2.3 on the ISCC command line
; overrides both. Signing: compile with /DSign and a sign tool named "caliber" (defined in the
; Inno Setup IDE or with /Scaliber=...; see build\README.md): the installer and the uninstaller
; are then signed.
;
; Reviewed against the Inno Setup documentation (jrsoftware.org/ishelp); this script has not
; been compiled in this repository's CI (no Windows runner builds the installer yet).

#ifndef AppVersion
  #if FileExists(AddBackslash(SourcePath) + "work\version.iss")
    #include "work\version.iss"
  #else
    #error Run build\build.py first (it writes work\version.iss) or pass /DAppVersion=x.y.z
  #endif
#endif
; VersionInfoVersion takes only 1 to 4 numbers (1.2.3.4): no "rc1", no ".dev0"; build.py writes
; the numeric part as AppVersionNumeric.
#ifndef AppVersionNumeric
  #define AppVersionNumeric AppVersion
#endif

#define AppName "Caliber Desktop"
#define AppExe "caliber-desktop.exe"
#define BundleDir AddBackslash(SourcePath) + "dist\caliber-desktop"

#if !FileExists(AddBackslash(BundleDir) + AppExe)
  #error No bundle in build\dist\caliber-desktop: run python dev.py bundle first
#endif

[Setup]
; A fixed id, never to change: upgrades find the previous install through it (its folder, its
; install mode, its uninstaller) and replace it instead of adding a second one. "{{" is an
; escaped brace.
AppId={{6A0E5C2B-8E7F-4C1D-9B53-CA11BE5DE5C7}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=Caliber
VersionInfoVersion={#AppVersionNumeric}
VersionInfoProductName={#AppName}
; Per-user install by default: no administrator rights; {autopf} is then {userpf}, i.e.
; %LOCALAPPDATA%\Programs. The dialog lets an administrator install for all users instead
; ({autopf} = {commonpf}, C:\Program Files); an upgrade keeps the mode of the previous install
; (UsePreviousPrivileges, default yes).
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
; ~500 MB of input: compress in a separate process so the compiler's own memory stays small.
LZMAUseSeparateProcess=yes
WizardStyle=modern
; The bundle is x64 only: refuse 32-bit Windows, install in 64-bit mode (x64 Windows and Arm64
; Windows 11, which runs x64 code under emulation).
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
; Qt 6 supports Windows 10 1809 (build 17763) and later.
MinVersion=10.0.17763
; A running Caliber holds its files open: Setup finds it with the Restart Manager (over the
; files of [Files] and [InstallDelete] that match the filter) and offers to close it first.
; .pyd are the Python extension modules the app loads from _internal.
CloseApplications=yes
CloseApplicationsFilter=*.exe,*.dll,*.pyd
; The app does not register with the Restart Manager for a restart, so none is attempted.
RestartApplications=no
#if FileExists(AddBackslash(SourcePath) + "work\icons\caliber.ico")
SetupIconFile=work\icons\caliber.ico
#endif
#ifdef Sign
SignTool=caliber
SignedUninstaller=yes
#endif

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; An upgrade first removes the previous version's libraries: files a new version no longer ships
; (an old Qt or numpy DLL, a renamed module) would otherwise stay in _internal and could be loaded
; instead of the new ones. _internal holds only what this installer put there.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
; The whole one-folder bundle: the three executables and _internal\.
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{group}\{#AppName} (debug console)"; Filename: "{app}\caliber-desktop-debug.exe"
Name: "{group}\Uninstall {#AppName}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Run]
; postinstall entries run as the user who started Setup (runasoriginaluser is their default),
; never elevated, even after an all-users install.
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; The uninstaller removes what [Files] installed; this also removes anything created later inside
; our own _internal folder, so {app} does not linger. Nothing else: no wildcard over {app}.
Type: filesandordirs; Name: "{app}\_internal"

; The data dir (%LOCALAPPDATA%\Caliber\Caliber: the database, uploads, logs) is the analyst's
; work and is deliberately kept on uninstall; delete that folder by hand to remove it too.
; caliber.exe (the command line) is not added to PATH: run it by its full path, e.g.
; "%LOCALAPPDATA%\Programs\Caliber Desktop\caliber.exe" score report.csv
