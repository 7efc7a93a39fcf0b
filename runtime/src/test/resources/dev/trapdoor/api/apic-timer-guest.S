.code32
start:
  lgdt gdtr
  ljmp $0x08, $1f
1: mov $0x10, %ax
  mov %ax, %ds
  mov %ax, %es
  mov %ax, %ss
  mov $0x8000, %esp
  mov $handler, %eax
  mov %ax, idt+VEC*8
  movw $0x08, idt+VEC*8+2
  movw $0x8e00, idt+VEC*8+4
  shr $16, %eax
  mov %ax, idt+VEC*8+6
  lidt idtr
  movl $0x1ff, 0xfee000f0
  mov $0xff, %al
  out %al, $0x21
  out %al, $0xa1
#ifdef LAPIC_TIMER
  movl $0xb, 0xfee003e0
  movl $(0x20000 | VEC), 0xfee00320
  movl $100000, 0xfee00380
#else
  movl $0x10700, 0xfee00350
  movl $0x14, 0xfec00000
  movl $VEC, 0xfec00010
  movl $0x15, 0xfec00000
  movl $0, 0xfec00010
  mov $0x34, %al
  out %al, $0x43
  mov $0xe8, %al
  out %al, $0x40
  mov $0x03, %al
  out %al, $0x40
#endif
#ifdef NO_IRET
resume:
  cmpl $10, count
  jae 3f
  sti
  hlt
  jmp resume
3:
#else
  sti
#ifdef SPIN
2: nop
#else
2: hlt
#endif
  cmpl $10, count
  jb 2b
#endif
  cli
  mov count, %eax
  out %eax, $0xf4
  hlt
handler:
  incl count
  movl $0, 0xfee000b0
#ifdef NO_IRET
  add $12, %esp
  jmp resume
#else
  iret
#endif
.align 8
gdt: .quad 0
  .quad 0x00cf9a000000ffff
  .quad 0x00cf92000000ffff
gdtr: .word 23
  .long gdt
idtr: .word VEC*8+7
  .long idt
.set count, 0x500
.set idt, 0x3000
