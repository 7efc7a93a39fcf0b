package dev.trapdoor.shell;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What a class offers a script, for completion: properties (from bean getters, as both
 * languages read them: {@code vm.vcpu}) and methods. Found by reflection on types, never by
 * calling anything, so completing {@code vm.run} does not run the guest.
 */
final class ApiMembers {
    record Member(String name, boolean isMethod, Class<?> type) {}

    private static final Set<String> HIDDEN = Set.of("getClass", "hashCode", "equals", "notify", "notifyAll", "wait",
            "compareTo", "describeConstable", "getDeclaringClass", "ordinal");
    private static final Map<Class<?>, List<Member>> CACHE = new ConcurrentHashMap<>();

    private ApiMembers() {}

    static List<Member> of(Class<?> c) {
        return CACHE.computeIfAbsent(c, ApiMembers::scan);
    }

    private static List<Member> scan(Class<?> c) {
        Map<String, Member> byName = new TreeMap<>();
        for (Method m : c.getMethods()) {
            if (HIDDEN.contains(m.getName()) || m.isSynthetic() || m.isBridge()) continue;
            if (!Modifier.isPublic(m.getDeclaringClass().getModifiers())) continue;
            String property = propertyName(m);
            if (property != null) byName.putIfAbsent(property, new Member(property, false, m.getReturnType()));
            else if (!isSetter(m)) byName.putIfAbsent(m.getName() + "(", new Member(m.getName(), true, m.getReturnType()));
        }
        return List.copyOf(byName.values());
    }

    /** getX()/isX() with no parameters gives property x. */
    private static String propertyName(Method m) {
        if (m.getParameterCount() != 0 || m.getReturnType() == void.class || Modifier.isStatic(m.getModifiers())) return null;
        String n = m.getName();
        int skip = n.startsWith("get") ? 3 : n.startsWith("is") && m.getReturnType() == boolean.class ? 2 : 0;
        if (skip == 0 || n.length() == skip || !Character.isUpperCase(n.charAt(skip))) return null;
        String rest = n.substring(skip);
        return rest.length() > 1 && Character.isUpperCase(rest.charAt(1)) ? rest : Character.toLowerCase(rest.charAt(0)) + rest.substring(1);
    }

    private static boolean isSetter(Method m) {
        return m.getName().startsWith("set") && m.getName().length() > 3 && m.getParameterCount() == 1;
    }

    /** The type a segment of a chain gives: a property, or a method by name (its first overload). Null if unknown. */
    static Class<?> typeOf(Class<?> c, String segment) {
        String name = segment.endsWith(")") ? segment.substring(0, segment.indexOf('(')) : segment;
        boolean call = segment.endsWith(")");
        List<Member> candidates = new ArrayList<>(of(c));
        for (Member m : candidates) if (m.name().equals(name) && m.isMethod() == call) return m.type();
        for (Member m : candidates) if (m.name().equals(name)) return m.type();
        return null;
    }
}
