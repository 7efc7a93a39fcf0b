# crcsieve: a compute-bound guest for guest-MIPS comparisons (scripts/bench/mips.sh).
#
# A Multiboot 1 kernel in the header's address-field form (flag 16): one flat binary linked and
# loaded at 0x100000, entered in 32-bit protected mode with paging off. No interrupts, no string
# instructions (their per-iteration counting differs between emulators), no stores near the code.
# Each pass does a table-driven CRC-32 over a 64 KiB buffer (the CRC carries over between passes)
# and a sieve of Eratosthenes below 65536. At the end it prints
#   crcsieve crc32=XXXXXXXX primes=6542 passes=N
# on COM1 and writes 0 to isa-debug-exit (port 0xf4): QEMU and Trapdoor exit with status 1.
# The pass count comes from the Multiboot command line "passes=N" (default 1000, about 1.2 G
# instructions). Build: as --32 / ld -m elf_i386 -Ttext 0x100000 --oformat binary (mips.sh does).

        .set MB_MAGIC, 0x1BADB002
        .set MB_FLAGS, 0x00010000           # address fields valid
        .set MB_BOOTED, 0x2BADB002
        .set TABLE, 0x1f0000                # CRC table, 256 dwords
        .set STATE, 0x1f0800                # crc (dword), primes (dword)
        .set BUF, 0x200000                  # 64 KiB of xorshift data
        .set BUFLEN, 65536
        .set SIEVE, 0x300000                # one byte per number below N
        .set N, 65536
        .set COM1, 0x3f8
        .set DEFAULT_PASSES, 1000

        .code32
        .text
        .globl _start
_start:
        jmp entry

        .align 4
mb_header:
        .long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)
        .long mb_header, _start, 0, 0, _start # header, load, load_end (whole file), bss_end (none), entry

entry:
        mov $0x90000, %esp
        mov $DEFAULT_PASSES, %ebp
        cmp $MB_BOOTED, %eax
        jne 9f
        testl $4, (%ebx)                    # Multiboot info: cmdline valid
        jz 9f
        mov 16(%ebx), %esi
1:      cmpb $0, (%esi)
        je 9f
        cmpl $0x73736170, (%esi)            # "pass"
        jne 2f
        cmpw $0x7365, 4(%esi)               # "es"
        jne 2f
        cmpb $'=', 6(%esi)
        jne 2f
        add $7, %esi
        xor %ebp, %ebp
3:      movzbl (%esi), %eax
        sub $'0', %eax
        cmp $9, %eax
        ja 9f
        imul $10, %ebp
        add %eax, %ebp
        inc %esi
        jmp 3b
2:      inc %esi
        jmp 1b
9:      test %ebp, %ebp
        jnz 4f
        inc %ebp
4:      mov %ebp, passes

# The CRC-32 table (reflected polynomial 0xEDB88320).
        xor %ecx, %ecx
1:      mov %ecx, %eax
        mov $8, %edx
2:      shr $1, %eax
        jnc 3f
        xor $0xEDB88320, %eax
3:      dec %edx
        jnz 2b
        mov %eax, TABLE(,%ecx,4)
        inc %ecx
        cmp $256, %ecx
        jb 1b

# The buffer: xorshift32 from a fixed seed.
        mov $0x12345678, %eax
        mov $BUF, %edi
        mov $BUFLEN / 4, %ecx
1:      mov %eax, %edx
        shl $13, %edx
        xor %edx, %eax
        mov %eax, %edx
        shr $17, %edx
        xor %edx, %eax
        mov %eax, %edx
        shl $5, %edx
        xor %edx, %eax
        mov %eax, (%edi)
        add $4, %edi
        dec %ecx
        jnz 1b
        movl $0xffffffff, STATE

pass:
# CRC-32 over the buffer, 7 instructions a byte.
        mov STATE, %eax
        mov $BUF, %esi
        mov $BUFLEN, %ecx
1:      movzbl (%esi), %edx
        xor %al, %dl
        shr $8, %eax
        xor TABLE(,%edx,4), %eax
        inc %esi
        dec %ecx
        jnz 1b
        mov %eax, STATE

# Sieve of Eratosthenes below N: 0 = prime so far, 1 = composite.
        mov $SIEVE, %edi
        mov $N / 4, %ecx
        xor %eax, %eax
1:      mov %eax, (%edi)
        add $4, %edi
        dec %ecx
        jnz 1b
        mov $2, %ecx
1:      cmpb $0, SIEVE(%ecx)
        jne 3f
        mov %ecx, %edx
        imul %ecx, %edx
        cmp $N, %edx
        jae 4f
2:      movb $1, SIEVE(%edx)
        add %ecx, %edx
        cmp $N, %edx
        jb 2b
3:      inc %ecx
        jmp 1b
4:      xor %eax, %eax
        mov $2, %ecx
1:      cmpb $0, SIEVE(%ecx)
        jne 2f
        inc %eax
2:      inc %ecx
        cmp $N, %ecx
        jb 1b
        mov %eax, STATE + 4

        dec %ebp
        jnz pass

# Report and exit.
        mov $msg_crc, %esi
        call puts
        mov STATE, %eax
        not %eax
        call puthex
        mov $msg_primes, %esi
        call puts
        mov STATE + 4, %eax
        call putdec
        mov $msg_passes, %esi
        call puts
        mov passes, %eax
        call putdec
        mov $'\n', %al
        call putc
        xor %eax, %eax
        out %al, $0xf4
1:      hlt
        jmp 1b

# putc: AL to COM1 once the transmit holding register is empty (LSR bit 5).
putc:
        push %edx
        push %eax
        mov $COM1 + 5, %dx
1:      in %dx, %al
        test $0x20, %al
        jz 1b
        pop %eax
        mov $COM1, %dx
        out %al, %dx
        pop %edx
        ret

# puts: the NUL-terminated string at ESI.
puts:
1:      mov (%esi), %al
        test %al, %al
        jz 2f
        call putc
        inc %esi
        jmp 1b
2:      ret

# puthex: EAX as 8 hex digits.
puthex:
        mov $8, %ecx
        mov %eax, %edx
1:      rol $4, %edx
        mov %edx, %eax
        and $15, %eax
        mov hexdigits(%eax), %al
        call putc
        dec %ecx
        jnz 1b
        ret

# putdec: EAX in decimal.
putdec:
        mov $10, %ebx
        xor %ecx, %ecx
1:      xor %edx, %edx
        div %ebx
        push %edx
        inc %ecx
        test %eax, %eax
        jnz 1b
2:      pop %eax
        add $'0', %al
        call putc
        dec %ecx
        jnz 2b
        ret

hexdigits:  .ascii "0123456789abcdef"
msg_crc:    .asciz "crcsieve crc32="
msg_primes: .asciz " primes="
msg_passes: .asciz " passes="
        .align 4
passes:     .long 0
