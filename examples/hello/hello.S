# hello.S: the smallest guest that shows both CPU modes on the 16550 at port 0x3f8.
#
# A flat binary, loaded at guest-physical 0x1000 and entered in real mode at CS:IP = 0000:1000
# (the layout of the LWN "Using the KVM API" example: one 4 KiB page of RAM at 0x1000 is enough).
# It uses no stack and needs no BIOS.
#
#   0x1000  code: real mode, then 32-bit protected mode
#   0x1100  msg     "Hello from the guest!\n", NUL-terminated, in a 64-byte field (0x1100-0x113f).
#                   The real-mode loop stops at the first NUL, so a patch may change the text and
#                   its length (up to 63 bytes plus the NUL).
#   0x1140  msg32   "Now in 32-bit protected mode.\n" (30 bytes; the count is in the code)
#   0x1180  gdt     null, flat 4 GiB code (selector 0x08), flat 4 GiB data (selector 0x10)
#   0x1198  gdtr    limit 0x17, base 0x1180
#
# Build: examples/build-guests.sh (as --32, ld -m elf_i386 -Ttext 0x1000 --oformat binary).

        .set COM1,     0x3f8
        .set COM1_LSR, COM1 + 5
        .set LSR_THRE, 0x20

        .text
        .code16
        .globl _start
_start:
        cli
        cld
        xorw    %ax, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    $msg, %si

next_char:
        lodsb                           # al = ds:[si++]
        testb   %al, %al
        jz      to_protected
        movb    %al, %bl
        movw    $COM1_LSR, %dx
wait_thre:                              # like a driver: wait until the holding register is empty
        inb     %dx, %al
        testb   $LSR_THRE, %al
        jz      wait_thre
        movb    %bl, %al
        movw    $COM1, %dx
        outb    %al, %dx
        jmp     next_char

to_protected:
        lgdt    gdtr
        movl    %cr0, %eax
        orb     $1, %al                 # CR0.PE
        movl    %eax, %cr0
        ljmp    $0x08, $protected       # reload CS from the GDT: 32-bit code from here on

        .code32
protected:
        movw    $0x10, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %ss
        movl    $msg32, %esi
        movl    $msg32_len, %ecx
        movw    $COM1, %dx
        rep outsb                       # ds:[esi] -> port dx, ecx times
halt:
        hlt
        jmp     halt

        .org    0x100                   # guest-physical 0x1100
msg:
        .ascii  "Hello from the guest!\n"
        .byte   0
        .org    0x140                   # the field is 64 bytes: zero-filled to 0x113f

msg32:                                  # guest-physical 0x1140
        .ascii  "Now in 32-bit protected mode.\n"
        .set    msg32_len, . - msg32

        .org    0x180
        .balign 8
gdt:                                    # guest-physical 0x1180 (SDM Vol. 3A, 3.4.5)
        .quad   0
        .quad   0x00cf9a000000ffff      # 0x08: base 0, limit 4 GiB, code, execute/read, D=1
        .quad   0x00cf92000000ffff      # 0x10: base 0, limit 4 GiB, data, read/write, B=1
gdt_end:
gdtr:                                   # guest-physical 0x1198
        .word   gdt_end - gdt - 1
        .long   gdt
