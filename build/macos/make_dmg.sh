#!/usr/bin/env bash
# macOS: build "Caliber Desktop.app" with PyInstaller (the spec's BUNDLE step) and pack a .dmg.
#
#     build/macos/make_dmg.sh            ad-hoc signed .app and .dmg (fine for testing on this Mac)
#     SIGN_ID="Developer ID Application: Example Ltd (TEAMID1234)" \
#     NOTARY_PROFILE=caliber-notary build/macos/make_dmg.sh      signed, notarized, stapled
#
# Run on the oldest macOS the app supports (the spec's LSMinimumSystemVersion) and on each
# architecture you ship (arm64 and x86_64 builds are separate; PyInstaller does not make
# universal2 bundles from non-universal wheels). Needs Xcode's command line tools (codesign,
# notarytool, stapler, hdiutil, ditto). Nothing here has run on a Mac in this repository's CI:
# see build/README.md for what was and was not verified.
#
# Signing: with SIGN_ID set, PyInstaller itself signs, inside-out, every collected binary and
# each executable with that identity, the hardened runtime (--options=runtime), a secure
# timestamp and build/macos/entitlements.plist, then the .app (caliber.spec ->
# bundle_config.codesign_options). The frozen smoke test then runs those signed binaries under
# the hardened runtime. This script verifies the result, notarizes and staples the .app, packs
# it into a .dmg, signs, notarizes and staples the .dmg.
set -euo pipefail
cd "$(dirname "$0")/../.."

APP_NAME="Caliber Desktop"
DIST=build/dist
APP="$DIST/$APP_NAME.app"
SIGN_ID="${SIGN_ID:-}"
NOTARY_PROFILE="${NOTARY_PROFILE:-}"

if [[ "$(uname -s)" != Darwin ]]; then
    echo "make_dmg.sh builds the macOS app; run it on a Mac." >&2
    exit 2
fi
if [[ -n "$NOTARY_PROFILE" && -z "$SIGN_ID" ]]; then
    echo "NOTARY_PROFILE needs SIGN_ID: Apple notarizes only Developer ID-signed code." >&2
    exit 2
fi

# 1. Build (creates .venv on the first run) and smoke-test the frozen app. --clean: a release
#    build never reuses binaries PyInstaller cached (and signed) for another identity.
if [[ -n "$SIGN_ID" ]]; then
    export CALIBER_CODESIGN_IDENTITY="$SIGN_ID"
    # A binary PyInstaller cannot sign fails the build instead of a warning in the log.
    export PYINSTALLER_STRICT_BUNDLE_CODESIGN_ERROR=1
fi
python3 dev.py bundle --clean --smoke

# Only now does .venv exist for certain.
VERSION=$(.venv/bin/python -c "import caliber_desktop; print(caliber_desktop.__version__)")
DMG="$DIST/CaliberDesktop-$VERSION-$(uname -m).dmg"
[[ -d "$APP" ]] || { echo "PyInstaller made no $APP (the spec's BUNDLE step)." >&2; exit 1; }

json_field() {  # one top-level field of the JSON document on stdin
    .venv/bin/python -c 'import json, sys; print(json.load(sys.stdin).get(sys.argv[1], ""))' "$1"
}

# Submit a file to Apple's notary service and wait. `notarytool submit --wait` can exit 0 with
# "status: Invalid", so the status is read from its JSON answer; on failure the log says why.
notarize() {
    local file=$1 answer id status
    answer=$(xcrun notarytool submit "$file" --keychain-profile "$NOTARY_PROFILE" --wait \
        --output-format json)
    echo "$answer"
    id=$(json_field id <<<"$answer")
    status=$(json_field status <<<"$answer")
    if [[ "$status" != Accepted ]]; then
        xcrun notarytool log "$id" --keychain-profile "$NOTARY_PROFILE" >&2 || true
        echo "Notarization of $file: $status (submission $id)" >&2
        return 1
    fi
}

# 2. Check the signature PyInstaller made: valid, strict, every nested item, hardened runtime.
codesign --verify --deep --strict --verbose=2 "$APP"
if [[ -n "$SIGN_ID" ]]; then
    flags=$(codesign --display --verbose=2 "$APP" 2>&1)
    grep -q "flags=.*runtime" <<<"$flags" || {
        echo "$APP is not signed with the hardened runtime:" >&2
        echo "$flags" >&2
        exit 1
    }
    codesign --display --entitlements - "$APP"  # for the build log
fi

# 3. Notarize the .app and staple its ticket, so the copy a user drags out of the disk image
#    passes Gatekeeper even offline. notarytool takes a zip of it (ditto keeps the bundle intact).
if [[ -n "$NOTARY_PROFILE" ]]; then
    zip_file="$DIST/$APP_NAME-notarize.zip"
    rm -f "$zip_file"
    ditto -c -k --sequesterRsrc --keepParent "$APP" "$zip_file"
    notarize "$zip_file"
    rm -f "$zip_file"
    xcrun stapler staple "$APP"
    xcrun stapler validate "$APP"
    spctl --assess --type execute --verbose=2 "$APP"
fi

# 4. The disk image: the .app and a link to /Applications, compressed (UDZO).
rm -f "$DMG"
staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
ditto "$APP" "$staging/$APP_NAME.app"
ln -s /Applications "$staging/Applications"
# hdiutil now and then fails with "Resource busy" on CI runners; a retry is enough.
for attempt in 1 2 3; do
    if hdiutil create -volname "$APP_NAME" -srcfolder "$staging" -ov -format UDZO "$DMG"; then
        break
    fi
    if [[ $attempt == 3 ]]; then
        echo "hdiutil create failed three times." >&2
        exit 1
    fi
    sleep 5
done

# 5. Sign, notarize and staple the disk image itself; Gatekeeper checks it when it is opened.
if [[ -n "$SIGN_ID" ]]; then
    codesign --force --timestamp --sign "$SIGN_ID" "$DMG"
    codesign --verify --strict --verbose=2 "$DMG"
    if [[ -n "$NOTARY_PROFILE" ]]; then
        notarize "$DMG"
        xcrun stapler staple "$DMG"
        xcrun stapler validate "$DMG"
        spctl --assess --type open --context context:primary-signature --verbose=2 "$DMG"
    fi
fi
echo "Built $DMG ($(du -sh "$DMG" | cut -f1))"
