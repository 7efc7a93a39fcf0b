# The guest of scripts/experiments/vmcs-controls.groovy: flat 32-bit, paging with demand-mapped
# pages, the 8259 and the 8254 ticking at ~1 kHz. Each round touches a fresh page (a #PF its
# handler maps), writes the round to port 0x80, and halts until the next tick.
.code32
.set ROUNDS, 50
.globl _start
_start:
    cli
    lgdt gdtr
    lidt idtr
    ljmp $0x08, $1f
1:  mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov %ax, %fs
    mov %ax, %gs
    mov $0x9000, %esp
    mov $pf_handler, %eax
    mov $14, %ecx
    call set_gate
    mov $timer, %eax
    mov $0x20, %ecx
    call set_gate
    # page table at 0x11000: identity for 0-1 MiB, 1-4 MiB not present (mapped on demand)
    mov $0x11000, %edi
    xor %ecx, %ecx
2:  xor %eax, %eax
    cmp $0x100, %ecx
    jae 3f
    mov %ecx, %eax
    shl $12, %eax
    or $3, %eax
3:  mov %eax, (%edi,%ecx,4)
    inc %ecx
    cmp $1024, %ecx
    jb 2b
    movl $0x11003, 0x10000
    mov $0x10000, %eax
    mov %eax, %cr3
    mov %cr0, %eax
    or $0x80000000, %eax
    mov %eax, %cr0
    # 8259 pair: vectors 0x20/0x28, only IRQ0 unmasked
    mov $0x11, %al
    out %al, $0x20
    out %al, $0xa0
    mov $0x20, %al
    out %al, $0x21
    mov $0x28, %al
    out %al, $0xa1
    mov $0x04, %al
    out %al, $0x21
    mov $0x02, %al
    out %al, $0xa1
    mov $0x01, %al
    out %al, $0x21
    out %al, $0xa1
    mov $0xfe, %al
    out %al, $0x21
    mov $0xff, %al
    out %al, $0xa1
    # 8254 channel 0, mode 2, divisor 1193 (about 1 kHz)
    mov $0x34, %al
    out %al, $0x43
    mov $0xa9, %al
    out %al, $0x40
    mov $0x04, %al
    out %al, $0x40
    xor %esi, %esi
    sti
.globl round
round:
    cmp $ROUNDS, %esi
    jae done
    mov %esi, %eax
    shl $12, %eax
    add $0x100000, %eax
    mov %esi, (%eax)
    mov %esi, %eax
    out %al, $0x80
    hlt
    inc %esi
    jmp round
done:
    mov 0x504, %eax
    out %al, $0xf4
    cli
    hlt

set_gate:
    mov %ax, 0x2000(,%ecx,8)
    movw $0x08, 0x2002(,%ecx,8)
    movw $0x8e00, 0x2004(,%ecx,8)
    shr $16, %eax
    mov %ax, 0x2006(,%ecx,8)
    ret

pf_handler:
    push %eax
    push %edx
    mov %cr2, %eax
    shr $12, %eax
    mov %eax, %edx
    shl $12, %edx
    or $3, %edx
    mov %edx, 0x11000(,%eax,4)
    invlpg (%edx)
    incl 0x504
    pop %edx
    pop %eax
    add $4, %esp
    iret

timer:
    push %eax
    incl 0x500
    mov $0x20, %al
    out %al, $0x20
    pop %eax
    iret

.align 8
gdt:
    .quad 0
    .quad 0x00cf9a000000ffff
    .quad 0x00cf92000000ffff
gdtr:
    .word 23
    .long gdt
idtr:
    .word 0x7ff
    .long 0x2000
