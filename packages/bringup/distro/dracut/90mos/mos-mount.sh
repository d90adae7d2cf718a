#!/bin/sh
# mos for dracut (mount hook): bringup re-verifies the signed state against the initramfs's own
# manifest CA and assembles the root at $NEWROOT, every hostfs layer under kernel dm-verity.
# dracut's init then runs switch_root, which moves /dev, /proc, /sys and /run.
case "$root" in
    soci:*) ;;
    *) return 0 ;;
esac
ismounted "$NEWROOT" && return 0
# shellcheck disable=SC2046
modprobe -a -q $(cat /etc/mos-modules) 2> /dev/null
if ! PATH="/usr/lib/mos/bin:$PATH" NO_COLOR=1 /usr/bin/node /usr/lib/mos/bringup.js --new-root "$NEWROOT" --handover distro; then
    echo "mos: the system did not verify: NOT booting it (see the messages above)"
    # Fail closed: die ends dracut's init (the kernel then panics, and panic= decides).
    die "mos: the system did not verify"
fi
