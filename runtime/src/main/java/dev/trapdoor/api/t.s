.intel_syntax noprefix
.code32
mov eax,[0x100000]
 mov dword ptr [0x100004],7
 hlt
