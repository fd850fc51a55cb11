package org.mrine.io;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A small, strict JSON (RFC 8259) parser and compact writer, plus typed accessors for config code.
 *
 * <p>Value mapping: objects are {@code LinkedHashMap<String, Object>} (key order kept), arrays
 * {@code ArrayList<Object>}, integer literals {@code Long} (or {@code Double} when they do not fit a
 * long), other numbers {@code Double}, strings {@code String}, {@code true}/{@code false}
 * {@code Boolean}, and JSON {@code null} Java {@code null}.
 *
 * <p>Strict means: no comments, no trailing commas, no single quotes, no NaN/Infinity, no leading
 * zeros or '+' signs, no raw control characters in strings, no duplicate keys in an object, and
 * nothing but whitespace after the value. Every error is an {@link IllegalArgumentException} whose
 * message names the character offset (UTF-16 index into the text).
 */
public final class Json {

    /** Deepest nesting of arrays/objects accepted by {@link #parse} and {@link #write}. */
    public static final int MAX_DEPTH = 512;

    private Json() {
    }

    // ------------------------------------------------------------------ parsing

    /** Parses one JSON value that makes up the whole of {@code text} (surrounding whitespace allowed). */
    public static Object parse(String text) {
        Objects.requireNonNull(text, "text");
        Parser p = new Parser(text);
        p.skipWhitespace();
        Object value = p.value(0);
        p.skipWhitespace();
        if (p.pos < text.length()) throw p.error("unexpected " + p.describeHere() + " after the JSON value");
        return value;
    }

    /** Recursive-descent parser over a String; {@code pos} is the next unread char. */
    private static final class Parser {
        private final String s;
        private int pos;

        Parser(String s) {
            this.s = s;
        }

        Object value(int depth) {
            if (pos >= s.length()) throw error("unexpected end of input, expected a value");
            char c = s.charAt(pos);
            return switch (c) {
                case '{' -> object(depth + 1);
                case '[' -> array(depth + 1);
                case '"' -> string();
                case 't' -> literal("true", Boolean.TRUE);
                case 'f' -> literal("false", Boolean.FALSE);
                case 'n' -> literal("null", null);
                default -> {
                    if (c == '-' || (c >= '0' && c <= '9')) yield number();
                    throw error("unexpected " + describeHere() + ", expected a value");
                }
            };
        }

        private Map<String, Object> object(int depth) {
            checkDepth(depth);
            pos++; // '{'
            LinkedHashMap<String, Object> map = new LinkedHashMap<>();
            skipWhitespace();
            if (peek() == '}') {
                pos++;
                return map;
            }
            while (true) {
                skipWhitespace();
                if (peek() != '"') throw error("expected a string key but found " + describeHere());
                int keyStart = pos;
                String key = string();
                skipWhitespace();
                expect(':');
                skipWhitespace();
                Object v = value(depth);
                // Duplicates are almost always a bug in whoever wrote the file; silently keeping
                // one of them (as lenient parsers do) would hide it.
                if (map.containsKey(key)) throw error(keyStart, "duplicate key \"" + key + "\"");
                map.put(key, v);
                skipWhitespace();
                char c = peek();
                if (c == ',') {
                    pos++;
                } else if (c == '}') {
                    pos++;
                    return map;
                } else {
                    throw error("expected ',' or '}' but found " + describeHere());
                }
            }
        }

        private List<Object> array(int depth) {
            checkDepth(depth);
            pos++; // '['
            ArrayList<Object> list = new ArrayList<>();
            skipWhitespace();
            if (peek() == ']') {
                pos++;
                return list;
            }
            while (true) {
                skipWhitespace();
                list.add(value(depth));
                skipWhitespace();
                char c = peek();
                if (c == ',') {
                    pos++;
                } else if (c == ']') {
                    pos++;
                    return list;
                } else {
                    throw error("expected ',' or ']' but found " + describeHere());
                }
            }
        }

        private String string() {
            pos++; // opening quote
            int start = pos;
            // Fast path: no escapes, the result is a substring.
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (c == '"') return s.substring(start, pos++);
                if (c == '\\') break;
                if (c < 0x20) throw error("raw control character U+" + hex4(c) + " in a string (must be escaped)");
                pos++;
            }
            StringBuilder sb = new StringBuilder(s.length() - start < 64 ? 16 : 64).append(s, start, pos);
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (c == '"') {
                    pos++;
                    return sb.toString();
                }
                if (c < 0x20) throw error("raw control character U+" + hex4(c) + " in a string (must be escaped)");
                if (c != '\\') {
                    sb.append(c);
                    pos++;
                    continue;
                }
                if (pos + 1 >= s.length()) break;
                char e = s.charAt(pos + 1);
                switch (e) {
                    case '"' -> sb.append('"');
                    case '\\' -> sb.append('\\');
                    case '/' -> sb.append('/');
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'n' -> sb.append('\n');
                    case 'r' -> sb.append('\r');
                    case 't' -> sb.append('\t');
                    case 'u' -> {
                        // A surrogate pair arrives as two consecutive \\uXXXX escapes; appending the
                        // two UTF-16 units in order rebuilds the code point. Lone surrogates are kept
                        // as they are (as Python's json does) rather than rejected.
                        sb.append(hexEscape(pos + 2));
                        pos += 4;
                    }
                    default -> throw error("invalid escape \\" + printable(e) + " in a string");
                }
                pos += 2;
            }
            throw error(start - 1, "unterminated string");
        }

        private char hexEscape(int at) {
            if (at + 4 > s.length()) throw error(at - 2, "truncated \\u escape");
            int v = 0;
            for (int i = at; i < at + 4; i++) {
                int d = Character.digit(s.charAt(i), 16);
                // Character.digit also accepts non-ASCII digits; JSON allows only [0-9a-fA-F].
                if (d < 0 || s.charAt(i) > 'f') throw error(i, "invalid hex digit " + printable(s.charAt(i)) + " in a \\u escape");
                v = (v << 4) | d;
            }
            return (char) v;
        }

        private Object number() {
            int start = pos;
            if (peek() == '-') pos++;
            if (peek() == '0') {
                pos++;
                if (isDigit(peek())) throw error(start, "leading zeros are not allowed in numbers");
            } else if (isDigit(peek())) {
                while (isDigit(peek())) pos++;
            } else {
                throw error("expected a digit but found " + describeHere());
            }
            boolean integral = true;
            if (peek() == '.') {
                integral = false;
                pos++;
                if (!isDigit(peek())) throw error("expected a digit after '.' but found " + describeHere());
                while (isDigit(peek())) pos++;
            }
            if (peek() == 'e' || peek() == 'E') {
                integral = false;
                pos++;
                if (peek() == '+' || peek() == '-') pos++;
                if (!isDigit(peek())) throw error("expected a digit in the exponent but found " + describeHere());
                while (isDigit(peek())) pos++;
            }
            String lit = s.substring(start, pos);
            if (integral) {
                try {
                    return Long.parseLong(lit);
                } catch (NumberFormatException overflow) {
                    // The grammar was checked above, so the only failure left is range: fall through.
                }
            }
            double d = Double.parseDouble(lit);
            if (Double.isInfinite(d)) throw error(start, "number " + abbreviate(lit) + " is out of the range of a double");
            return d;
        }

        private Object literal(String word, Object value) {
            if (!s.startsWith(word, pos)) throw error("unexpected " + describeHere() + ", expected a value");
            pos += word.length();
            return value;
        }

        private void checkDepth(int depth) {
            if (depth > MAX_DEPTH) throw error("nesting deeper than " + MAX_DEPTH + " levels");
        }

        private void expect(char c) {
            if (peek() != c) throw error("expected '" + c + "' but found " + describeHere());
            pos++;
        }

        /** The next char, or NUL at the end of input (NUL cannot appear unescaped in valid JSON). */
        private char peek() {
            return pos < s.length() ? s.charAt(pos) : '\0';
        }

        void skipWhitespace() {
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
                pos++;
            }
        }

        String describeHere() {
            return pos >= s.length() ? "end of input" : "'" + printable(s.charAt(pos)) + "'";
        }

        IllegalArgumentException error(String message) {
            return error(pos, message);
        }

        IllegalArgumentException error(int at, String message) {
            return new IllegalArgumentException("invalid JSON at offset " + at + ": " + message);
        }
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static String printable(char c) {
        return c >= 0x20 && c < 0x7f ? String.valueOf(c) : "\\u" + hex4(c);
    }

    private static String hex4(char c) {
        return String.format("%04X", (int) c);
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 37) + "...";
    }

    // ------------------------------------------------------------------ writing

    /**
     * Compact JSON for Map (String keys) / List / String / Number / Boolean / null.
     * Doubles use {@link Double#toString}, the shortest decimal that parses back to the same double;
     * floats use {@link Float#toString} (shortest for the float, so {@code 0.1f} is written "0.1").
     *
     * @throws IllegalArgumentException for NaN/Infinity, non-String map keys, unsupported types, or
     *                                  nesting deeper than {@link #MAX_DEPTH} (e.g. a cycle)
     */
    public static String write(Object value) {
        StringBuilder sb = new StringBuilder();
        write(sb, value, 0);
        return sb.toString();
    }

    private static void write(StringBuilder sb, Object v, int depth) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof String str) {
            writeString(sb, str);
        } else if (v instanceof Boolean b) {
            sb.append(b.booleanValue());
        } else if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            if (!Double.isFinite(d)) throw new IllegalArgumentException("JSON cannot represent the number " + v);
            sb.append(v instanceof Float f ? Float.toString(f) : Double.toString(d));
        } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte
                || v instanceof BigInteger) {
            sb.append(v);
        } else if (v instanceof BigDecimal bd) {
            sb.append(bd.toString()); // e.g. "1E+3": valid JSON
        } else if (v instanceof Map<?, ?> map) {
            checkWriteDepth(depth + 1);
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (!(e.getKey() instanceof String key)) {
                    throw new IllegalArgumentException("JSON object keys must be strings, found " + describe(e.getKey()));
                }
                if (!first) sb.append(',');
                first = false;
                writeString(sb, key);
                sb.append(':');
                write(sb, e.getValue(), depth + 1);
            }
            sb.append('}');
        } else if (v instanceof List<?> list) {
            checkWriteDepth(depth + 1);
            sb.append('[');
            for (int i = 0; i < list.size(); i++) {
                if (i > 0) sb.append(',');
                write(sb, list.get(i), depth + 1);
            }
            sb.append(']');
        } else {
            throw new IllegalArgumentException("cannot write a " + v.getClass().getName() + " as JSON");
        }
    }

    private static void checkWriteDepth(int depth) {
        if (depth > MAX_DEPTH) {
            throw new IllegalArgumentException("JSON value nested deeper than " + MAX_DEPTH + " levels (a cycle?)");
        }
    }

    private static void writeString(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20) {
                        sb.append("\\u").append(hex4(c));
                    } else if (Character.isSurrogate(c) && !isPaired(s, i)) {
                        // A lone surrogate cannot be encoded in UTF-8; escaping keeps it exact.
                        sb.append("\\u").append(hex4(c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }

    private static boolean isPaired(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
        return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }

    // ------------------------------------------------------------------ typed access

    /** {@code o} as a JSON object; {@code what} names it in the error ("config: model"). */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> object(Object o, String what) {
        if (o instanceof Map<?, ?> m) return (Map<String, Object>) m;
        throw mismatch(what, "an object", o);
    }

    /** {@code o} as a JSON array. */
    @SuppressWarnings("unchecked")
    public static List<Object> array(Object o, String what) {
        if (o instanceof List<?> l) return (List<Object>) l;
        throw mismatch(what, "an array", o);
    }

    /** {@code o} as an integer literal that fits an int ({@code 3.0} is not accepted: it is not an integer literal). */
    public static int integer(Object o, String what) {
        if (o instanceof Long l) {
            if (l >= Integer.MIN_VALUE && l <= Integer.MAX_VALUE) return (int) (long) l;
            throw new IllegalArgumentException(what + ": expected an integer in int range but found " + describe(o));
        }
        if (o instanceof Integer i) return i;
        throw mismatch(what, "an integer", o);
    }

    /** {@code o} as an integer literal that fits a long. */
    public static long longInteger(Object o, String what) {
        if (o instanceof Long l) return l;
        if (o instanceof Integer i) return i;
        throw mismatch(what, "an integer", o);
    }

    /** {@code o} as any JSON number (integer or not). */
    public static double number(Object o, String what) {
        if (o instanceof Long || o instanceof Double || o instanceof Integer || o instanceof Float) {
            return ((Number) o).doubleValue();
        }
        throw mismatch(what, "a number", o);
    }

    /** {@code o} as a JSON string. */
    public static String string(Object o, String what) {
        if (o instanceof String s) return s;
        throw mismatch(what, "a string", o);
    }

    /** {@code o} as a JSON boolean. */
    public static boolean bool(Object o, String what) {
        if (o instanceof Boolean b) return b;
        throw mismatch(what, "a boolean", o);
    }

    private static IllegalArgumentException mismatch(String what, String expected, Object found) {
        return new IllegalArgumentException(what + ": expected " + expected + " but found " + describe(found));
    }

    /** Short description of a parsed value for error messages. */
    static String describe(Object o) {
        if (o == null) return "null (missing or null)";
        if (o instanceof String s) return "the string \"" + abbreviate(s) + "\"";
        if (o instanceof Boolean b) return "the boolean " + b;
        if (o instanceof Long || o instanceof Integer) return "the integer " + o;
        if (o instanceof Number n) return "the number " + n;
        if (o instanceof Map<?, ?>) return "an object";
        if (o instanceof List<?>) return "an array";
        return "a " + o.getClass().getSimpleName();
    }
}
