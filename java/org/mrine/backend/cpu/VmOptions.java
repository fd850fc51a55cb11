package org.mrine.backend.cpu;

import java.lang.management.ManagementFactory;
import javax.management.ObjectName;
import javax.management.openmbean.CompositeData;

/** The running JVM's flags as HotSpot reports them (its diagnostic MBean): read, never set. */
final class VmOptions {
    private VmOptions() {
    }

    /** The value of a HotSpot flag ("true", "1000", "3"), or null where the JVM does not say (not HotSpot, no jdk.management). */
    static String get(String name) {
        try {
            Object option = ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=HotSpotDiagnostic"), "getVMOption",
                    new Object[] {name}, new String[] {String.class.getName()});
            return String.valueOf(((CompositeData) option).get("value"));
        } catch (Exception | LinkageError e) {
            return null;
        }
    }
}
