# outloop.S: an exit-rate benchmark. Every iteration is one `out 0x80, al`: one I/O exit.
#
# A flat binary, loaded at guest-physical 0x1000 and entered in real mode at CS:IP = 0000:1000;
# it fits in the one 4 KiB page 0x1000-0x1fff and uses no stack.
#
#   0x1ffc  count   dword: the number of iterations N (default 1,000,000). The runtime pokes it
#                   before the run; 0 means no iteration.
#
# After N writes to port 0x80 (the POST-code port) it writes 0 to port 0xf4 (QEMU's
# isa-debug-exit: exit status (0 << 1) | 1 = 1), then halts.
#
# Build: examples/build-guests.sh

        .set POST_PORT,  0x80
        .set DEBUG_EXIT, 0xf4
        .set COUNT_AT,   0x1ffc

        .text
        .code16
        .globl _start
_start:
        cli
        xorw    %ax, %ax
        movw    %ax, %ds
        movl    COUNT_AT, %ecx
        testl   %ecx, %ecx
        jz      done
loop:
        outb    %al, $POST_PORT
        decl    %ecx
        jnz     loop
done:
        xorb    %al, %al
        outb    %al, $DEBUG_EXIT
halt:
        hlt
        jmp     halt

        .org    COUNT_AT - 0x1000
count:
        .long   1000000
