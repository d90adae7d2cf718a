#!/bin/sh
# mos for dracut (cmdline hook): root=soci:... is ours. Tell dracut's init that it is handled,
# so it neither dies on an unknown root= nor waits for a root block device.
root=$(getarg root=)
case "$root" in
    soci:*) rootok=1 ;;
esac
