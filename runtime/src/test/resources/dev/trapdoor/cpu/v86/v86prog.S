/* The virtual-8086 program: loaded at linear 0x20000, entered at 2000:0000 with DS 2100, ES 2200, SS 3000. */
        .code16
        .globl _start
_start:
        mov %ds, %ax
        add $0x10, %ax
        mov %ax, %es            /* ES = 0x2110: linear 0x21100 */
        movw $0x1234, %es:0
        mov 0x100, %bx          /* DS:0x100 is the same byte: 0x1234 */
        mov %bx, 0
        ljmp $0x1ff0, $(far + 0x100)
far:    mov %cs, %ax
        mov %ax, 2              /* 0x1ff0 */
        cli
        sti
        int $0x21
        mov %cx, 4              /* 0x4321 from the v86 handler */
        mov $0x55, %al
        out %al, $0x80          /* allowed by the I/O bitmap */
        out %al, $0x81          /* denied: #GP to the monitor */
        movb $0x66, 6
        hlt                     /* #GP: the monitor halts */
        .org 0x100
int21:  mov $0x4321, %cx
        iret
