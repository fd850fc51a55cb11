package org.mrine.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void parsesEveryValueKindWithTheDocumentedJavaTypes() {
        Object v = Json.parse(" {\"z\": 1, \"a\": [true, false, null], \"m\": -2.5e3, \"s\": \"hi\", \"o\": {}} \n");
        Map<String, Object> m = Json.object(v, "root");
        assertInstanceOf(LinkedHashMap.class, m);
        assertEquals(List.of("z", "a", "m", "s", "o"), new ArrayList<>(m.keySet()), "key order is kept");
        assertEquals(1L, m.get("z"));
        assertInstanceOf(ArrayList.class, m.get("a"));
        assertEquals(Arrays.asList(true, false, null), m.get("a"));
        assertEquals(-2500.0, m.get("m"));
        assertEquals("hi", m.get("s"));
        assertEquals(Map.of(), m.get("o"));
        assertEquals(List.of(), Json.parse("[ ]"));
        assertNull(Json.parse("null"));
    }

    @Test
    void integersAreLongsUntilTheyOverflow() {
        assertEquals(Long.MAX_VALUE, Json.parse("9223372036854775807"));
        assertEquals(Long.MIN_VALUE, Json.parse("-9223372036854775808"));
        assertEquals(9223372036854775808.0, Json.parse("9223372036854775808"));
        assertEquals(0L, Json.parse("-0"));
        assertEquals(1.0, Json.parse("1.0"));
        assertEquals(100.0, Json.parse("1E2"));
        assertEquals(0.0125, Json.parse("1.25e-2"));
        assertEquals(0.0, Json.parse("1e-400"), "underflow to zero is fine");
    }

    @Test
    void stringEscapesIncludingSurrogatePairs() {
        assertEquals("a\"b\\c/d\b\f\n\r\t", Json.parse("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\""));
        assertEquals("é€", Json.parse("\"\\u00e9\\u20AC\""));
        assertEquals("😀", Json.parse("\"\\ud83d\\ude00\""));
        assertEquals("😀x", Json.parse("\"😀x\""));
        assertEquals("\ud83d", Json.parse("\"\\ud83d\""), "a lone surrogate is kept, not dropped");
    }

    @Test
    void writeIsCompactAndRoundTrips() {
        LinkedHashMap<String, Object> doc = new LinkedHashMap<>();
        doc.put("name", "tab\there \"quoted\" \\ \u0001 é 😀");
        doc.put("n", 42L);
        doc.put("x", 0.1);
        doc.put("neg", -0.0);
        doc.put("list", new ArrayList<>(Arrays.asList(1L, 2.5, null, true, "s", new ArrayList<>())));
        doc.put("nested", new LinkedHashMap<>(Map.of("k", new LinkedHashMap<>())));
        String text = Json.write(doc);
        assertTrue(text.startsWith("{\"name\":\"tab\\there \\\"quoted\\\" \\\\ \\u0001 é 😀\",\"n\":42,"), text);
        assertEquals(doc, Json.parse(text));
        assertEquals(text, Json.write(Json.parse(text)));
        assertEquals("[1,2,3,1.5,0.5]", Json.write(List.of(1, (short) 2, (byte) 3, 1.5, 0.5f)));
        assertEquals("\"\\uD800x\"", Json.write("\ud800x"));
        assertEquals("\ud800x", Json.parse(Json.write("\ud800x")), "lone surrogates survive a round trip");
    }

    @Test
    void doublesParseBackExactly() {
        double[] special = {0.0, -0.0, Double.MIN_VALUE, Double.MIN_NORMAL, Double.MAX_VALUE, -Double.MAX_VALUE,
                1e-300, 1e300, 0.1 + 0.2, 1.0 / 3, 123456789.0, 1e22, 5e-324, 4.9e-324};
        for (double d : special) assertEquals(d, Json.parse(Json.write(d)), "value " + d);
        SplittableRandom rng = new SplittableRandom(7);
        for (int i = 0; i < 20_000; i++) {
            double d = Double.longBitsToDouble(rng.nextLong());
            if (!Double.isFinite(d)) continue;
            Object back = Json.parse(Json.write(d));
            assertEquals(Double.doubleToRawLongBits(d), Double.doubleToRawLongBits((Double) back), "value " + d);
        }
        assertEquals(0.1f, (float) Json.number(Json.parse(Json.write(0.1f)), "f"));
    }

    @Test
    void writeRejectsWhatJsonCannotHold() {
        assertThrows(IllegalArgumentException.class, () -> Json.write(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> Json.write(List.of(Double.POSITIVE_INFINITY)));
        assertThrows(IllegalArgumentException.class, () -> Json.write(Float.NEGATIVE_INFINITY));
        assertThrows(IllegalArgumentException.class, () -> Json.write(Map.of(1, "x")));
        assertThrows(IllegalArgumentException.class, () -> Json.write(new Object()));
        List<Object> cycle = new ArrayList<>();
        cycle.add(cycle);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.write(cycle));
        assertTrue(e.getMessage().contains("deeper than"), e.getMessage());
    }

    @Test
    void rejectsMalformedInputNamingTheOffset() {
        String[] bad = {
            "", "   ", "{} x", "[1,]", "{\"a\":1,}", "[1 2]", "{\"a\" 1}", "{a:1}", "{'a':1}", "01", "-01", "1.",
            ".5", "+1", "-", "1e", "1e+", "\"abc", "\"\\x\"", "\"\\u12G4\"", "\"\\u12\"", "\"tab\there\"", "tru",
            "nul", "True", "NaN", "Infinity", "-Infinity", "1e999", "[", "{", "{\"a\":1,\"a\":2}", "\"\\",
            "// c\n1", "[1]]", "\"\\u" + "\u0663".repeat(4) + "\"", // non-ASCII digits in \\u
        };
        for (String text : bad) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse(text),
                    "should reject: " + text);
            assertTrue(e.getMessage().contains("offset"), "message names the offset: " + e.getMessage());
        }
    }

    @Test
    void errorOffsetsPointAtTheProblem() {
        assertMessage("[1, 2, x]", "offset 7");
        assertMessage("{\"a\": 1} junk", "offset 9");
        assertMessage("{\"k\": 1, \"k\": 2}", "offset 9");
        assertMessage("\"abc", "offset 0");
        assertMessage("[1e999]", "offset 1");
    }

    private static void assertMessage(String text, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse(text));
        assertTrue(e.getMessage().contains(expected), "expected '" + expected + "' in: " + e.getMessage());
    }

    @Test
    void nestingIsLimited() {
        int ok = Json.MAX_DEPTH;
        Object v = Json.parse("[".repeat(ok) + "]".repeat(ok));
        assertInstanceOf(List.class, v);
        assertMessage("[".repeat(ok + 1) + "]".repeat(ok + 1), "nesting deeper than");
        assertMessage("{\"a\":".repeat(ok + 1) + "1" + "}".repeat(ok + 1), "nesting deeper than");
        // Far deeper than any stack allows, and unterminated: still a clean error.
        assertMessage("[".repeat(1_000_000), "nesting deeper than");
    }

    @Test
    void typedAccessors() {
        Map<String, Object> m = Json.object(Json.parse(
                "{\"i\": 3, \"big\": 3000000000, \"d\": 3.5, \"s\": \"x\", \"b\": true, \"a\": [1], \"o\": {}}"), "cfg");
        assertEquals(3, Json.integer(m.get("i"), "cfg.i"));
        assertEquals(3000000000L, Json.longInteger(m.get("big"), "cfg.big"));
        assertEquals(3.0, Json.number(m.get("i"), "cfg.i"));
        assertEquals(3.5, Json.number(m.get("d"), "cfg.d"));
        assertEquals("x", Json.string(m.get("s"), "cfg.s"));
        assertTrue(Json.bool(m.get("b"), "cfg.b"));
        assertEquals(List.of(1L), Json.array(m.get("a"), "cfg.a"));
        assertEquals(Map.of(), Json.object(m.get("o"), "cfg.o"));

        assertAccessorError(() -> Json.integer(m.get("d"), "model.n_x"), "model.n_x: expected an integer but found the number 3.5");
        assertAccessorError(() -> Json.integer(m.get("big"), "model.n_x"), "model.n_x: expected an integer in int range");
        assertAccessorError(() -> Json.integer(m.get("missing"), "model.n_x"), "model.n_x: expected an integer but found null");
        assertAccessorError(() -> Json.number(m.get("s"), "loss.tau"), "loss.tau: expected a number but found the string \"x\"");
        assertAccessorError(() -> Json.string(m.get("i"), "model.likelihood_s"), "model.likelihood_s: expected a string but found the integer 3");
        assertAccessorError(() -> Json.bool(m.get("s"), "model.learn_y_var"), "model.learn_y_var: expected a boolean");
        assertAccessorError(() -> Json.array(m.get("o"), "model.layer_list_s"), "model.layer_list_s: expected an array but found an object");
        assertAccessorError(() -> Json.object(m.get("a"), "config: model"), "config: model: expected an object but found an array");
        assertAccessorError(() -> Json.longInteger(m.get("d"), "off"), "off: expected an integer");
    }

    private static void assertAccessorError(Runnable r, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue(e.getMessage().startsWith(expected), "expected '" + expected + "' in: " + e.getMessage());
    }
}
