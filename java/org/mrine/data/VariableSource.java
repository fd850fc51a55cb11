package org.mrine.data;

import java.util.List;

/**
 * A file of named numeric arrays: an .npz archive, a MATLAB file, the columns of a CSV table.
 * {@link MatrixImport} turns the ones it is told to use into a {@link Recording}.
 */
interface VariableSource extends AutoCloseable {

    /** The file, for messages. */
    String file();

    /** "npz", "mat v5", "mat v7.3", "csv". */
    String format();

    /** Every variable name, in file order (MATLAB struct fields as {@code s.field}). */
    List<String> names();

    /** One variable; a FormatException naming the file and variable when it is missing or not numeric. */
    NumericArray read(String name);

    /** Size and element type of a variable without converting it ("35129×52 uint8"), or why it is not numeric. */
    String summary(String name);

    @Override
    void close();

    /** The variable names matching a pattern where {@code *} matches any characters. */
    default List<String> matching(String pattern) {
        if (!pattern.contains("*")) return names().contains(pattern) ? List.of(pattern) : List.of();
        String regex = java.util.Arrays.stream(pattern.split("\\*", -1)).map(java.util.regex.Pattern::quote)
                .collect(java.util.stream.Collectors.joining(".*"));
        return names().stream().filter(n -> n.matches(regex)).toList();
    }
}
