#!/usr/bin/env bash
# macOS: build "Caliber Desktop.app" with PyInstaller (the spec's BUNDLE step) and pack a .dmg.
#
#     build/macos/make_dmg.sh            unsigned .app and .dmg (fine for testing on this Mac)
#     SIGN_ID="Developer ID Application: Example Ltd (TEAMID1234)" \
#     NOTARY_PROFILE=caliber-notary build/macos/make_dmg.sh      signed, notarized, stapled
#
# Run on the oldest macOS the app supports (the spec sets LSMinimumSystemVersion 11.0) and on
# each architecture you ship (arm64 and x86_64 builds are separate; PyInstaller does not make
# universal2 bundles from non-universal wheels). Needs Xcode's command line tools.
set -euo pipefail
cd "$(dirname "$0")/../.."

APP_NAME="Caliber Desktop"
DIST=build/dist
APP="$DIST/$APP_NAME.app"
VERSION=$(.venv/bin/python -c "import caliber_desktop; print(caliber_desktop.__version__)")
DMG="$DIST/CaliberDesktop-$VERSION-$(uname -m).dmg"

python3 dev.py bundle --smoke   # builds build/dist/caliber-desktop/ and, on macOS, the .app

if [[ -n "${SIGN_ID:-}" ]]; then
    # Hardened runtime is required for notarization. Sign inside-out: --deep is deprecated for
    # signing, but PyInstaller's .app keeps every binary under Contents/{MacOS,Frameworks}, and
    # signing each Mach-O file first then the bundle is what Apple's notary accepts.
    find "$APP/Contents" -type f \( -perm -u+x -o -name "*.so" -o -name "*.dylib" \) -print0 |
        xargs -0 codesign --force --timestamp --options runtime \
            --entitlements build/macos/entitlements.plist --sign "$SIGN_ID"
    codesign --force --timestamp --options runtime \
        --entitlements build/macos/entitlements.plist --sign "$SIGN_ID" "$APP"
    codesign --verify --deep --strict --verbose=2 "$APP"
fi

rm -f "$DMG"
staging=$(mktemp -d)
cp -R "$APP" "$staging/"
ln -s /Applications "$staging/Applications"
hdiutil create -volname "$APP_NAME" -srcfolder "$staging" -ov -format UDZO "$DMG"
rm -rf "$staging"

if [[ -n "${SIGN_ID:-}" ]]; then
    codesign --force --timestamp --sign "$SIGN_ID" "$DMG"
    if [[ -n "${NOTARY_PROFILE:-}" ]]; then
        # One-time: xcrun notarytool store-credentials caliber-notary --apple-id ... --team-id ...
        xcrun notarytool submit "$DMG" --keychain-profile "$NOTARY_PROFILE" --wait
        xcrun stapler staple "$DMG"
        xcrun stapler staple "$APP"
        spctl --assess --type open --context context:primary-signature --verbose "$DMG"
    fi
fi
echo "Built $DMG ($(du -sh "$DMG" | cut -f1))"
