// A guest under a VMCS whose controls the script changes while it runs, and the exits following.
//   ./trapdoor run scripts/experiments/vmcs-controls.groovy [--rounds N] [--mtf STEPS]
//
// The guest (vmcs-controls-guest.S, assembled below) runs flat 32-bit with paging on the PC board:
// each round touches a fresh page (a #PF its own handler maps on demand), writes the round number
// to port 0x80 and halts until the next 8254 tick through the 8259. A breakpoint at the top of the
// loop stops every round; between phases the script changes one control and counts the exits of
// the next rounds. The changes add up:
//   1. the defaults (HLT exiting and unconditional I/O exiting on, empty exception bitmap)
//   2. HLT exiting off: the vCPU halts in the CPU, and leaves only when a device deadline is due
//   3. I/O bitmaps with only port 0x80 marked: the PIC/PIT and EOI writes stop exiting
//   4. #PF in the exception bitmap: every demand fault exits; the runtime reflects it to the guest
//   5. the monitor trap flag for N steps: an exit per instruction until a hook turns it off
// The breakpoint's own stop (an EXCEPTION_NMI) is not counted. Rebuild the bytes with:
//   as --32 -o g.o vmcs-controls-guest.S && ld -m elf_i386 -Ttext 0x1000 -e _start -o g.elf g.o && objcopy -O binary g.elf g.bin
import dev.trapdoor.api.Breakpoint
import dev.trapdoor.vmx.ExitReason
import dev.trapdoor.vmx.VmcsField

import java.util.HexFormat

final byte[] CODE = HexFormat.of().parseHex(
        'fa0f0115581100000f011d5e110000ea16100000080066b810008ed88ec08ed08ee08ee8bc00900000b806110000b90e' +
        '000000e8a6000000b82c110000b920000000e897000000bf0010010031c931c081f900010000730889c8c1e00c83c803' +
        '89048f4181f90004000072e2c7050000010003100100b8000001000f22d80f20c00d000000800f22c0b011e620e6a0b0' +
        '20e621b028e6a1b004e621b002e6a1b001e621e6a1b0fee621b0ffe6a1b034e643b0a9e640b004e64031f6fb83fe3273' +
        '1489f0c1e00c0500001000893089f0e680f446ebe7a104050000e6f4faf4668904cd0020000066c704cd022000000800' +
        '66c704cd04200000008ec1e810668904cd06200000c350520f20d0c1e80c89c2c1e20c83ca03891485001001000f013a' +
        'ff05040500005a5883c404cf50ff0500050000b020e62058cf8db426000000000000000000000000ffff0000009acf00' +
        'ffff00000092cf00170040110000ff0700200000')
final long ROUND = 0x10bc          // the symbol "round": the top of the guest's loop
final int GUEST_ROUNDS = 50        // .set ROUNDS in the guest
final def PROC = VmcsField.PROC_BASED_CONTROLS

int perPhase = opt('rounds', 10)
int mtfSteps = opt('mtf', 25)
if (perPhase < 1 || perPhase * 5 > GUEST_ROUNDS) { out "rounds must be 1..${GUEST_ROUNDS.intdiv(5)}"; exit(2) }

def vm = hv.newVm().name('vmcs-controls').board('pc').memory('2M').build()
vm.load(CODE, 0x1000)
vm.vcpu.resetFlat32(0x1000)
def v = vm.vmcs

int mtfLeft = 0
vm.onExit('MONITOR_TRAP_FLAG') { e ->
    if (--mtfLeft <= 0) v.disable(PROC, 'MONITOR_TRAP_FLAG')
    null
}

def phases = [
        ['defaults', { }],
        ['HLT exiting off', { v.disable(PROC, 'HLT_EXITING') }],
        ['I/O bitmaps: port 0x80 only', {
            v.disable(PROC, 'UNCONDITIONAL_IO_EXITING')
            v.enable(PROC, 'USE_IO_BITMAPS')
            v.ioBitmaps().set(0x80, true)
        }],
        ['#PF in the exception bitmap', { v['EXCEPTION_BITMAP'] = 1 << 14 }],
        ["MTF on for $mtfSteps steps", {
            mtfLeft = mtfSteps
            v.enable(PROC, 'MONITOR_TRAP_FLAG')
        }],
]

def snapshot = { ExitReason.values().collectEntries { r -> [r, vm.exits.get(r)] } }
def bp = vm.breakAt(ROUND)
def r = vm.run()
assert r.reason().toString() == 'BREAKPOINT' : r.toString()

def shown = [ExitReason.HLT, ExitReason.IO_INSTRUCTION, ExitReason.EXCEPTION_NMI, ExitReason.PREEMPTION_TIMER,
             ExitReason.MONITOR_TRAP_FLAG, ExitReason.INVLPG]
def rows = []
for (phase in phases) {
    phase[1]()
    def before = snapshot()
    for (int k = 0; k < perPhase; k++) {
        r = vm.run()
        assert r.reason().toString() == 'BREAKPOINT' : "${phase[0]}: ${r}"
    }
    def after = snapshot()
    def delta = ExitReason.values().collectEntries { x -> [x, after[x] - before[x]] }
    delta[ExitReason.EXCEPTION_NMI] -= perPhase // the breakpoint's stops
    rows << [phase[0], delta]
}
vm.delete(bp.id())
r = vm.run()

out String.format('%-30s %6s %6s %6s %7s %6s %6s', 'phase (' + perPhase + ' rounds each)', 'HLT', 'I/O', '#PF', 'timer', 'MTF', 'total')
rows.each { name, d ->
    long total = d.values().sum()
    out String.format('%-30s %6d %6d %6d %7d %6d %6d', name, d[ExitReason.HLT], d[ExitReason.IO_INSTRUCTION],
            d[ExitReason.EXCEPTION_NMI], d[ExitReason.PREEMPTION_TIMER], d[ExitReason.MONITOR_TRAP_FLAG], total)
    def other = d.findAll { k, n -> n != 0 && !(k in shown) }
    if (other) out '    also: ' + other.collect { k, n -> "$k $n" }.join(', ')
}
long ticks = vm.memory().physical().read(0x500, 4)
long faults = vm.memory().physical().read(0x504, 4)
out "guest: $faults page faults handled by its own #PF handler, $ticks timer ticks; run ended ${r.reason()} status ${r.status()}"
exit(faults == GUEST_ROUNDS && r.reason().toString() == 'SHUTDOWN' ? 0 : 1)
