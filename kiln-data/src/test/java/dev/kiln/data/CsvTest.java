package dev.kiln.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvTest {
    @TempDir Path dir;

    private static Dataset read(String text, CsvOptions options) {
        return Csv.read(new StringReader(text), "data.csv", options);
    }

    @Test
    void readsNumericFeaturesAndIntegerClassIds() {
        Dataset d = read("a,b,label\n1,2.5,0\n-3e2,.5,2\n", CsvOptions.of("label"));
        assertThat(d.size()).isEqualTo(2);
        assertThat(d.sampleShape()).containsExactly(2);
        assertThat(d.features().toFloatArray()).containsExactly(1f, 2.5f, -300f, 0.5f);
        assertThat(d.labels()).containsExactly(0, 2);
        assertThat(d.numClasses()).isEqualTo(3);
        assertThat(d.classNames()).containsExactly("0", "1", "2");
    }

    @Test
    void stringLabelsAreSortedByDefaultOrNumberedByFirstAppearance() {
        String text = "x,species\n1,versicolor\n2,setosa\n3,virginica\n4,setosa\n";
        Dataset sorted = read(text, CsvOptions.of("species"));
        assertThat(sorted.classNames()).containsExactly("setosa", "versicolor", "virginica");
        assertThat(sorted.labels()).containsExactly(1, 0, 2, 0);
        Dataset first = read(text, CsvOptions.of("species").withLabels(CsvOptions.Labels.FIRST_APPEARANCE));
        assertThat(first.classNames()).containsExactly("versicolor", "setosa", "virginica");
        assertThat(first.labels()).containsExactly(0, 1, 2, 1);
        Dataset numbersAsNames = read("x,y\n1,10\n2,2\n", CsvOptions.of("y").withLabels(CsvOptions.Labels.SORTED));
        assertThat(numbersAsNames.classNames()).containsExactly("10", "2");
    }

    @Test
    void idsModeRejectsNamesWithLineNumbers() {
        assertThatThrownBy(() -> read("x,y\n1,0\n2,cat\n", CsvOptions.of("y").withLabels(CsvOptions.Labels.IDS)))
                .isInstanceOf(InvalidDataException.class)
                .hasMessageContaining("line 3, column \"y\": \"cat\" is not a class index");
    }

    @Test
    void labelColumnCanBeAnywhereAndFeaturesCanBeChosen() {
        Dataset d = read("id,label,w,h\n7,1,10,20\n8,0,30,40\n", CsvOptions.of("label").withFeatureColumns(List.of("h", "w")));
        assertThat(d.features().toFloatArray()).containsExactly(20f, 10f, 40f, 30f);
        assertThat(d.labels()).containsExactly(1, 0);
    }

    @Test
    void quotedFieldsMayHoldDelimitersQuotesAndLineBreaks() {
        String text = "\"f,1\",note,\"class\"\n"
                + "\"1.5\",\"a, b\",\"big, red\"\n"
                + "2,\"say \"\"hi\"\"\nthen go\",\"small\"\n"
                + "3,plain,\"big, red\"\n";
        Dataset d = read(text, CsvOptions.of("class").withFeatureColumns(List.of("f,1")));
        assertThat(d.features().toFloatArray()).containsExactly(1.5f, 2f, 3f);
        assertThat(d.classNames()).containsExactly("big, red", "small");
        assertThat(d.labels()).containsExactly(0, 1, 0);
    }

    @Test
    void lineNumbersCountLineBreaksInsideQuotes() {
        String text = "x,note,y\n1,\"two\nlines\",a\nbad,ok,b\n";
        assertThatThrownBy(() -> read(text, CsvOptions.of("y").withFeatureColumns(List.of("x"))))
                .hasMessageContaining("line 4, column \"x\": \"bad\" is not a number");
    }

    @Test
    void crlfBomBlankLinesAndOtherDelimiters() {
        Dataset d = read("\uFEFFa;b;y\r\n1;2;0\r\n\r\n3;4;1\r\n", CsvOptions.of("y").withDelimiter(';'));
        assertThat(d.features().toFloatArray()).containsExactly(1f, 2f, 3f, 4f);
        Dataset tabs = read("a\ty\n 5 \t 1 \n", CsvOptions.of("y").withDelimiter('\t'));
        assertThat(tabs.features().toFloatArray()).containsExactly(5f);
        assertThat(tabs.labels()).containsExactly(1);
    }

    @Test
    void collectsUpToTenProblemsWithLineAndColumn() {
        StringBuilder sb = new StringBuilder("height,weight,label\n");
        sb.append("1,2,a\n");          // line 2: fine
        sb.append(",2,a\n");           // line 3: empty height
        sb.append("1,abc,a\n");        // line 4: weight not a number
        sb.append("1,2\n");            // line 5: too few fields
        sb.append("1,2,\n");           // line 6: empty label
        sb.append("NaN,inf,b\n");      // line 7: two problems
        sb.append("1e999,2,b\n");      // line 8: overflow
        for (int i = 0; i < 5; i++) sb.append("x,2,b\n");   // lines 9-13
        String msg = catchMessage(sb.toString(), CsvOptions.of("label"));
        assertThat(msg)
                .contains("data.csv: 12 problems in the CSV data (the first 10 shown)")
                .contains("line 3, column \"height\": empty value")
                .contains("line 4, column \"weight\": \"abc\" is not a number")
                .contains("line 5: 2 fields, expected 3 as in the header")
                .contains("line 6, column \"label\": empty label")
                .contains("line 7, column \"height\": \"NaN\" is not a number")
                .contains("line 7, column \"weight\": \"inf\" is not a number")
                .contains("line 8, column \"height\": \"1e999\" is beyond the float range")
                .contains("line 11, column \"height\"")
                .doesNotContain("line 12,");
        assertThat(msg.lines().filter(l -> l.startsWith("  line"))).hasSize(10);
    }

    private static String catchMessage(String text, CsvOptions options) {
        try {
            read(text, options);
        } catch (InvalidDataException e) {
            return e.getMessage();
        }
        throw new AssertionError("expected an InvalidDataException");
    }

    @Test
    void headerProblemsAreExplained() {
        assertThatThrownBy(() -> read("a,b\n1,2\n", CsvOptions.of("label")))
                .hasMessageContaining("no label column \"label\"").hasMessageContaining("\"a\", \"b\"");
        assertThatThrownBy(() -> read("a,y\n1,2\n", CsvOptions.of("y").withFeatureColumns(List.of("a", "z"))))
                .hasMessageContaining("no feature column \"z\"");
        assertThatThrownBy(() -> read("a,a,y\n1,2,3\n", CsvOptions.of("y"))).hasMessageContaining("\"a\" appears twice");
        assertThatThrownBy(() -> read("", CsvOptions.of("y"))).hasMessageContaining("is empty");
        assertThatThrownBy(() -> read("a,y\n", CsvOptions.of("y"))).hasMessageContaining("no data rows");
        assertThatThrownBy(() -> read("y\n1\n", CsvOptions.of("y"))).hasMessageContaining("no feature columns");
        assertThatThrownBy(() -> read("a,y\n\"1,0\n", CsvOptions.of("y"))).hasMessageContaining("quote opened on line 2 is never closed");
    }

    @Test
    void optionsAreValidated() {
        assertThatThrownBy(() -> CsvOptions.of(" ")).hasMessageContaining("blank");
        assertThatThrownBy(() -> CsvOptions.of("y").withDelimiter('"')).hasMessageContaining("delimiter");
        assertThatThrownBy(() -> CsvOptions.of("y").withFeatureColumns(List.of("y"))).hasMessageContaining("both the label column and a feature");
        assertThatThrownBy(() -> CsvOptions.of("y").withFeatureColumns(List.of("a", "a"))).hasMessageContaining("listed twice");
    }

    @Test
    void loadsAFileAsUtf8() throws IOException {
        Path f = dir.resolve("iris.csv");
        Files.writeString(f, "länge,art\n1.0,Blüte\n2.0,Blatt\n", StandardCharsets.UTF_8);
        Dataset d = Csv.load(f, CsvOptions.of("art"));
        assertThat(d.classNames()).containsExactly("Blatt", "Blüte");
        assertThatThrownBy(() -> Csv.load(f, CsvOptions.of("x"))).hasMessageContaining(f.toString());
    }
}
