package dev.trapdoor.devices.pci;

import dev.trapdoor.snapshot.StateReader;
import dev.trapdoor.snapshot.StateWriter;
import dev.trapdoor.snapshot.Stateful;

/** PCI bus 0: up to 32 devices of up to 8 functions, addressed by devfn (device << 3 | function). */
public final class PciBus implements Stateful {
    private final PciFunction[] functions = new PciFunction[256];

    public static int devfn(int device, int function) {
        if (device < 0 || device > 31 || function < 0 || function > 7)
            throw new IllegalArgumentException("PCI device " + device + " function " + function);
        return device << 3 | function;
    }

    /** Places a function; a second function at the same devfn is a wiring error. */
    public void attach(int device, int function, PciFunction f) {
        int df = devfn(device, function);
        if (functions[df] != null)
            throw new IllegalArgumentException(String.format("PCI %02x.%d is taken", device, function));
        functions[df] = f;
    }

    public PciFunction function(int devfn) {
        return functions[devfn & 0xff];
    }

    /** A configuration read; no function there reads all ones (a master abort). */
    public int read(int devfn, int offset, int size) {
        PciFunction f = functions[devfn & 0xff];
        if (f == null) return size == 4 ? -1 : (1 << (8 * size)) - 1;
        return f.configRead(offset, size);
    }

    public void write(int devfn, int offset, int size, int value) {
        PciFunction f = functions[devfn & 0xff];
        if (f != null) f.configWrite(offset, size, value);
    }

    /** The config space of every attached function, by device/function number. */
    @Override
    public void saveState(StateWriter out) {
        for (int df = 0; df < functions.length; df++) {
            if (functions[df] == null) continue;
            out.i32(df).part(functions[df].config());
        }
        out.i32(-1);
    }

    @Override
    public void loadState(StateReader in) {
        for (int df = in.range(-1, 255, "device/function"); df >= 0; df = in.range(-1, 255, "device/function")) {
            if (functions[df] == null) throw in.fail("holds function " + (df >>> 3) + "." + (df & 7) + ", which this bus does not have");
            in.part(functions[df].config(), "function " + (df >>> 3) + "." + (df & 7));
        }
    }
}
