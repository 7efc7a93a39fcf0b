/* 16-bit TSS and gate tests; loaded at 0x1000, entered flat 32-bit at ring 0. Tables are written by TaskSwitch16Test. */
        .code32
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
        hlt
call_task16:
        mov $0xaaaa5555, %eax
        lcall $0x20, $0
        hlt
jmp_task16:
        ljmp $0x20, $0
        hlt
gp_task_gate:
        mov $0x5b, %ax
        mov %ax, %ds
        hlt
ring3_int:
        int $0x30
ring3_gate16:
        pushw $0x77
        lcall $0x4b, $0
        hlt
        .code16
task_b16:
        hlt
        iret
task_b16_jmp:
        mov $0x5678, %ax
        ljmp $0x18, $0
task_c16:
        hlt
gate16_target:
        hlt
        lret $2
ring0_hlt:
        hlt
