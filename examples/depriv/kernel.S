# kernel.S: a tiny guest kernel and its user program, for the trap-and-emulate experiments.
#
# The same flat binary runs in two ways:
#   - VMX mode: entered at ring 0 (flat 32-bit protected mode, CS=0x08, DS=SS=0x10) under the
#     interpreter's VMX-style controls; only port I/O and the final debug-exit leave the guest.
#   - deprivileged: dev.trapdoor.api.DeprivilegedMonitor runs the kernel at CPL 3, IOPL 0 and
#     emulates every privileged instruction it traps on (see examples/depriv/README.md).
#
# The kernel loads its GDT, IDT and TSS, sets CR0.NE, runs the popf test (sti; pushf; cli; popf;
# then reads IF back with pushf and prints it), then irets to the user program at ring 3.
# The user program makes system calls with int $0x80:
#   eax=0 null (counts), eax=1 write(ebx=buf, ecx=len) to COM1, eax=2 exit(ebx=status)
# and reads its workload from the config block at 0x1f00:
#   0x1f00 dword  null system calls to make
#   0x1f04 dword  one-byte write system calls to make
# The syscall entry does sti, the exit path cli; iret, like a kernel that runs system calls with
# interrupts on. No paging, flat segments.
#
# Build: examples/build-guests.sh (as --32, ld -m elf_i386 -Ttext 0x1000 --oformat binary).

        .set COM1,       0x3f8
        .set COM1_LSR,   0x3fd
        .set LSR_THRE,   0x20
        .set DEBUG_EXIT, 0xf4
        .set KCODE, 0x08
        .set KDATA, 0x10
        .set UCODE, 0x1b
        .set UDATA, 0x23
        .set TSSSEL, 0x28
        .set KSTACK_TOP, 0x8000
        .set USTACK_TOP, 0x9000
        # The kernel's variables live on their own page: a write to a page that holds code makes
        # the interpreter drop the blocks decoded from it, as a CPU snoops self-modifying code.
        .set critical,  0x3000          # dword: critical sections entered
        .set nsyscalls, 0x3004          # dword: null system calls served
        .set if_flags,  0x3008          # dword: EFLAGS as pushf read it right after the popf
        .set ticks,     0x300c          # dword: interrupts taken on vector 0x20
        .set if_ticks,  0x3010          # dword: ticks as they were right after the popf

        .text
        .code32
        .globl _start
_start:
        lgdt    gdtr
        lidt    idtr
        movl    $KSTACK_TOP, %esp
        movl    %cr0, %eax              # a kernel turns on native x87 error reporting
        orl     $0x20, %eax             # CR0.NE
        movl    %eax, %cr0
        movw    $TSSSEL, %ax
        ltr     %ax
        movl    $hello, %esi
        movl    $hello_len, %ecx
        call    kputs
        xorl    %eax, %eax              # a system call from the kernel itself: no stack switch
        int     $0x80
        call    iftest
        movw    $UDATA, %ax             # the user's data segments, also used by the kernel (flat)
        movw    %ax, %ds
        movw    %ax, %es
        pushl   $UDATA                  # iret to ring 3: ss, esp, eflags (IF=1), cs, eip
        pushl   $USTACK_TOP
        pushl   $0x202
        pushl   $UCODE
        pushl   $user
        iret

# The Popek-Goldberg test: restore IF=1 with popf after a cli, then look at IF.
iftest:
        sti
        pushf                           # saved flags: IF=1
        cli                             # a critical section
        incl    critical
        popf                            # leave it: IF back to what it was (1)
        pushf
        popl    %eax
        movl    %eax, if_flags          # kept for the monitor's tests
        movl    ticks, %edx             # an interrupt pending during the cli came in at the popf?
        movl    %edx, if_ticks
        shrl    $9, %eax
        andl    $1, %eax
        addb    $'0', %al
        movb    %al, ifmsg_digit
        movl    $ifmsg, %esi
        movl    $ifmsg_len, %ecx
        call    kputs
        cli
        ret

# kputs: esi = text, ecx = length; polls LSR.THRE before each byte, as a driver does.
kputs:
        testl   %ecx, %ecx
        jz      2f
1:      movw    $COM1_LSR, %dx
        inb     %dx, %al
        testb   $LSR_THRE, %al
        jz      1b
        movb    (%esi), %al
        movw    $COM1, %dx
        outb    %al, %dx
        incl    %esi
        decl    %ecx
        jnz     1b
2:      ret

# int $0x80 (an interrupt gate, DPL 3): eax = number.
syscall:
        sti
        cmpl    $0, %eax
        je      sys_null
        cmpl    $1, %eax
        je      sys_write
        cmpl    $2, %eax
        je      sys_exit
        movl    $-1, %eax
        jmp     sys_ret
sys_null:
        incl    nsyscalls
        xorl    %eax, %eax
        jmp     sys_ret
sys_write:
        pushl   %esi
        pushl   %ecx
        movl    %ebx, %esi
        call    kputs
        popl    %eax                    # bytes written = the length asked for
        popl    %esi
        jmp     sys_ret
sys_exit:
        movl    %ebx, %eax
        movw    $DEBUG_EXIT, %dx
        outl    %eax, %dx
1:      hlt
        jmp     1b
sys_ret:
        cli
        iret

# vector 0x20: an external interrupt (injected by a script or raised by the monitor).
tick:
        incl    ticks
        iret

# #GP from the user program: report it and stop with status 13.
gp_fault:
        movl    $gpmsg, %esi
        movl    $gpmsg_len, %ecx
        call    kputs
        movl    $13, %eax
        movw    $DEBUG_EXIT, %dx
        outl    %eax, %dx
1:      hlt
        jmp     1b

# ---- the user program (ring 3)
user:
        movl    $1, %eax
        movl    $umsg, %ebx
        movl    $umsg_len, %ecx
        int     $0x80
        movl    config, %edi            # null system calls
1:      testl   %edi, %edi
        jz      2f
        xorl    %eax, %eax
        int     $0x80
        decl    %edi
        jmp     1b
2:      movl    config + 4, %edi        # one-byte writes
3:      testl   %edi, %edi
        jz      4f
        movl    $1, %eax
        movl    $dot, %ebx
        movl    $1, %ecx
        int     $0x80
        decl    %edi
        jmp     3b
4:      movl    $1, %eax
        movl    $donemsg, %ebx
        movl    $donemsg_len, %ecx
        int     $0x80
        movl    $2, %eax
        xorl    %ebx, %ebx
        int     $0x80
5:      jmp     5b

# ---- data
hello:  .ascii  "kernel: up\n"
        .set    hello_len, . - hello
ifmsg:  .ascii  "kernel: IF after popf = "
ifmsg_digit:
        .ascii  "?\n"
        .set    ifmsg_len, . - ifmsg
gpmsg:  .ascii  "kernel: #GP in user mode\n"
        .set    gpmsg_len, . - gpmsg
umsg:   .ascii  "user: hello\n"
        .set    umsg_len, . - umsg
donemsg: .ascii "\nuser: done\n"
        .set    donemsg_len, . - donemsg
dot:    .ascii  "."

        .balign 8
gdt:                                    # SDM Vol. 3A, 3.4.5 and 7.2.2
        .quad   0
        .quad   0x00cf9a000000ffff      # 0x08 kernel code, DPL 0
        .quad   0x00cf92000000ffff      # 0x10 kernel data, DPL 0
        .quad   0x00cffa000000ffff      # 0x18 user code, DPL 3
        .quad   0x00cff2000000ffff      # 0x20 user data, DPL 3
        .word   tss_end - tss - 1       # 0x28 TSS (available 32-bit, base below 64 KiB)
        .word   tss
        .byte   0, 0x89, 0, 0
gdt_end:
gdtr:   .word   gdt_end - gdt - 1
        .long   gdt

        .balign 4
tss:    .long   0                       # back link
        .long   KSTACK_TOP              # esp0
        .long   KDATA                   # ss0
        .fill   22, 4, 0
        .word   0
        .word   tss_end - tss           # I/O map base beyond the limit: no bitmap
tss_end:

        .org    0xa00                   # guest-physical 0x1a00
        .balign 8
idt:                                    # gates 0..0x80 (SDM Vol. 3A, 6.11)
        .fill   13, 8, 0
        .word   gp_fault                # 13: #GP, interrupt gate, DPL 0
        .word   KCODE
        .byte   0, 0x8e
        .word   0
        .fill   0x20 - 14, 8, 0
        .word   tick                    # 0x20: interrupt gate, DPL 0
        .word   KCODE
        .byte   0, 0x8e
        .word   0
        .fill   0x80 - 0x21, 8, 0
        .word   syscall                 # 0x80: interrupt gate, DPL 3
        .word   KCODE
        .byte   0, 0xee
        .word   0
idt_end:
idtr:   .word   idt_end - idt - 1
        .long   idt

        .org    0xf00                   # guest-physical 0x1f00: the workload
config: .long   0                       # null system calls
        .long   0                       # one-byte writes
        .org    0xf10
