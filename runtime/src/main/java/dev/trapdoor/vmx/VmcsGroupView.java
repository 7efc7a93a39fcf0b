package dev.trapdoor.vmx;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * One of the VMCS's six groups seen as properties, for scripts: {@code vmcs.guest.cr3},
 * {@code vmcs.guest.rip = 0x7c00}, {@code vmcs.exitInfo.exitQualification}. Names are the field
 * names without the group's prefix, case and underscores ignored. Groovy reaches {@link #get} and
 * {@link #set} for unknown properties; {@link #names()} feeds tab completion.
 */
public final class VmcsGroupView {
    private final Vmcs vmcs;
    private final VmcsGroup group;

    VmcsGroupView(Vmcs vmcs, VmcsGroup group) {
        this.vmcs = vmcs;
        this.group = group;
    }

    public VmcsGroup group() { return group; }

    public long get(String name) {
        return vmcs.read(field(name));
    }

    public void set(String name, Object value) {
        vmcs.write(field(name), Vmcs.toLong(value));
    }

    public long getAt(String name) { return get(name); }
    public void putAt(String name, Object value) { set(name, value); }

    /** The short names of this group's fields, lower-case: "cr3", "es_selector", "rip". */
    public List<String> names() {
        List<String> out = new ArrayList<>();
        for (VmcsField f : VmcsField.values()) if (f.group() == group) out.add(shortName(f));
        return Collections.unmodifiableList(out);
    }

    private String shortName(VmcsField f) {
        String n = f.name();
        if (n.startsWith(group.prefix())) n = n.substring(group.prefix().length());
        return n.toLowerCase(Locale.ROOT);
    }

    private VmcsField field(String name) {
        String key = VmcsField.normalize(name);
        for (VmcsField f : VmcsField.values()) {
            if (f.group() != group) continue;
            if (VmcsField.normalize(shortName(f)).equals(key) || VmcsField.normalize(f.name()).equals(key)) return f;
        }
        throw new IllegalArgumentException("no field '" + name + "' in the VMCS " + group.viewName() + " group; try " + names());
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        vmcs.appendGroup(sb, group);
        return sb.toString();
    }
}
