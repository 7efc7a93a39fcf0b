/* v86 monitor: loaded at 0x1000, entered flat 32-bit at ring 0 (CS 0x08, DS 0x10). */
        .code32
        .set LOG, 0x7000        /* 64 bytes per trap: the 10-dword frame, then DS/ES/FS/GS as seen on entry */
        .set COUNT, 0x6ff0
        .set VIF, 0x6ff4
        .set PORT, 0x6ff8
        .set BAD, 0x6ffc
        .globl _start
_start:
        lgdt 0x5ff0
        lidt 0x5ff8
        ljmp $0x08, $1f
1:      mov $0x10, %ax
        mov %ax, %ds
        mov %ax, %es
        mov %ax, %ss
        mov %ax, %fs
        mov %ax, %gs
        mov $0x9000, %esp
        mov $0x18, %ax
        ltr %ax
        pushl $0x2400           /* GS */
        pushl $0x2300           /* FS */
        pushl $0x2100           /* DS */
        pushl $0x2200           /* ES */
        pushl $0x3000           /* SS */
        pushl $0xfff0           /* ESP */
        pushl $0x00020002       /* EFLAGS: VM, IOPL 0, IF 0 */
        pushl $0x2000           /* CS */
        pushl $0x0000           /* EIP */
        iret

gp_handler:
        push %eax
        push %ebx
        push %ecx
        push %esi
        push %edi
        mov %ss:COUNT, %eax      /* DS is null here: use SS */
        shl $6, %eax
        mov %ds, %ss:LOG+40(%eax)
        mov %es, %ss:LOG+44(%eax)
        mov %fs, %ss:LOG+48(%eax)
        mov %gs, %ss:LOG+52(%eax)
        mov %ss, %bx
        mov %bx, %ds
        mov %bx, %es
        lea LOG(%eax), %edi
        lea 20(%esp), %esi
        mov $10, %ecx
        cld
        rep movsl
        incl COUNT
        movzwl 28(%esp), %ebx    /* CS */
        shl $4, %ebx
        movzwl 24(%esp), %eax    /* IP */
        add %eax, %ebx
        movzbl (%ebx), %eax
        cmp $0xfa, %al
        je do_cli
        cmp $0xfb, %al
        je do_sti
        cmp $0xcd, %al
        je do_int
        cmp $0xcf, %al
        je do_iret
        cmp $0xe6, %al
        je do_out
        cmp $0xf4, %al
        je do_hlt
        jmp unexpected
do_cli: movl $0, VIF
        mov $1, %eax
        jmp advance
do_sti: movl $1, VIF
        mov $1, %eax
        jmp advance
do_out: movzbl 1(%ebx), %eax
        mov %eax, PORT
        mov $2, %eax
advance:
        add %eax, 24(%esp)
resume: pop %edi
        pop %esi
        pop %ecx
        pop %ebx
        pop %eax
        add $4, %esp
        iret
do_int: movzbl 1(%ebx), %ecx     /* reflect INT n through the v86 IVT at 0 */
        movzwl 40(%esp), %edi
        shl $4, %edi
        movzwl 36(%esp), %eax
        sub $6, %eax
        mov %ax, 36(%esp)
        add %eax, %edi
        mov 24(%esp), %eax
        add $2, %eax
        mov %ax, (%edi)
        mov 28(%esp), %eax
        mov %ax, 2(%edi)
        mov 32(%esp), %eax
        mov %ax, 4(%edi)
        mov (,%ecx,4), %eax
        movzwl %ax, %edx
        mov %edx, 24(%esp)
        shr $16, %eax
        mov %eax, 28(%esp)
        jmp resume
do_iret:
        movzwl 40(%esp), %edi
        shl $4, %edi
        movzwl 36(%esp), %eax
        add %eax, %edi
        add $6, %eax
        mov %ax, 36(%esp)
        movzwl (%edi), %ecx
        mov %ecx, 24(%esp)
        movzwl 2(%edi), %ecx
        mov %ecx, 28(%esp)
        movzwl 4(%edi), %ecx
        and $0x0cd5, %ecx        /* arithmetic flags and DF only */
        mov 32(%esp), %edx
        and $0xfffff32a, %edx
        or %ecx, %edx
        mov %edx, 32(%esp)
        jmp resume
do_hlt: hlt
        jmp do_hlt
unexpected:
        movl $0xdead, %ss:BAD
        hlt
        jmp unexpected
