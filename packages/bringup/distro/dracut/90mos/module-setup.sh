#!/bin/bash
# mos for dracut: adds the bringup program (node and its one-file bundle), the tools it runs, the
# manifest CA and the modules a verified boot needs. Boot with "root=soci:name=mosboot".
# Installed by: mosb initrd hooks --builder dracut --ca CA.pem; included on request only
# (dracut --add mos, or add_dracutmodules+=" mos " in /etc/dracut.conf.d/).

MOS_BRINGUP=/usr/lib/mos/bringup.js
MOS_CA=/etc/mos/manifestCA.pem
MOS_MODULES="virtio_pci virtio_blk virtio_scsi sd_mod ahci nvme ext4 vfat nls_cp437 nls_ascii nls_iso8859_1 dm_verity squashfs overlay loop"

# called by dracut
check() {
    require_binaries node dmsetup losetup mount umount || return 1
    # An initramfs without the CA or bringup could verify nothing: refuse to build one.
    if [[ ! -r $MOS_BRINGUP || ! -r $MOS_CA ]]; then
        derror "mos: $MOS_BRINGUP and $MOS_CA are needed; install them with: mosb initrd hooks --builder dracut --ca CA.pem"
        return 1
    fi
    return 255
}

# called by dracut
depends() {
    echo base
    return 0
}

# called by dracut
installkernel() {
    # shellcheck disable=SC2086
    hostonly='' instmods $MOS_MODULES
}

# called by dracut
install() {
    grep -q -- '-----BEGIN CERTIFICATE-----' "$MOS_CA" || {
        dfatal "mos: $MOS_CA holds no PEM certificate"
        return 1
    }
    inst_binary "$(readlink -f "$(command -v node)")" /usr/bin/node || return 1
    inst_simple "$MOS_BRINGUP" /usr/lib/mos/bringup.js || return 1
    inst_simple "$MOS_CA" /manifestCA.pem || return 1
    # bringup runs these by name: the full util-linux ones, kept apart from the initramfs's own.
    local tool
    for tool in dmsetup losetup mount umount; do
        inst_binary "$(readlink -f "$(command -v "$tool")")" "/usr/lib/mos/bin/$tool" || return 1
    done
    echo "$MOS_MODULES" > "${initdir}/etc/mos-modules"
    inst_hook cmdline 90 "$moddir/mos-parse-root.sh"
    inst_hook mount 90 "$moddir/mos-mount.sh"
}
