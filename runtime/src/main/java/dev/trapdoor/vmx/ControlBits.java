package dev.trapdoor.vmx;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Names of the single-bit constants in the control classes ({@link PinBased}, {@link ProcBased},
 * {@link ProcBased2}, {@link ExitControls}, {@link EntryControls}), for pretty printing and for
 * scripts that name bits ("HLT_EXITING"). The classes' constants are the one source of the names.
 */
public final class ControlBits {
    private ControlBits() {}

    private static final Map<Class<?>, String[]> NAMES = new ConcurrentHashMap<>();

    /** The class whose bits a control field holds, or null for fields that are not bit sets of named controls. */
    public static Class<?> classOf(VmcsField f) {
        return switch (f) {
            case PIN_BASED_CONTROLS -> PinBased.class;
            case PROC_BASED_CONTROLS -> ProcBased.class;
            case SECONDARY_PROC_BASED_CONTROLS -> ProcBased2.class;
            case VM_EXIT_CONTROLS -> ExitControls.class;
            case VM_ENTRY_CONTROLS -> EntryControls.class;
            default -> null;
        };
    }

    /** Bit number to constant name (null where the class names no bit). */
    public static String[] names(Class<?> c) {
        return NAMES.computeIfAbsent(c, ControlBits::scan);
    }

    private static String[] scan(Class<?> c) {
        String[] names = new String[32];
        for (Field f : c.getFields()) {
            int m = f.getModifiers();
            if (!Modifier.isStatic(m) || f.getType() != int.class || f.getName().equals("DEFAULT1")) continue;
            try {
                int v = f.getInt(null);
                if (Integer.bitCount(v) == 1) names[Integer.numberOfTrailingZeros(v)] = f.getName();
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }
        return names;
    }

    /** The mask of the bit named name in class c (case and underscores ignored). */
    public static int bit(Class<?> c, String name) {
        String key = VmcsField.normalize(name);
        String[] names = names(c);
        for (int b = 0; b < 32; b++) {
            if (names[b] != null && VmcsField.normalize(names[b]).equals(key)) return 1 << b;
        }
        throw new IllegalArgumentException("no control named '" + name + "' in " + c.getSimpleName());
    }

    /** The names of the set bits, and "bitN" for set bits the class does not name. */
    public static List<String> describe(Class<?> c, long value) {
        String[] names = names(c);
        List<String> out = new ArrayList<>();
        for (int b = 0; b < 32; b++) {
            if ((value & (1L << b)) != 0) out.add(names[b] != null ? names[b] : "bit" + b);
        }
        return out;
    }
}
