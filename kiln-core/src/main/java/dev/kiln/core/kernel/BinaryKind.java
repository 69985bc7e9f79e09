package dev.kiln.core.kernel;

/** Element-wise binary functions with their scalar definition. */
public enum BinaryKind {
    ADD {
        public double apply(double a, double b) { return a + b; }
    },
    SUB {
        public double apply(double a, double b) { return a - b; }
    },
    MUL {
        public double apply(double a, double b) { return a * b; }
    },
    DIV {
        public double apply(double a, double b) { return a / b; }
    },
    MAX {
        public double apply(double a, double b) { return Math.max(a, b); }
    },
    MIN {
        public double apply(double a, double b) { return Math.min(a, b); }
    },
    POW {
        public double apply(double a, double b) { return Math.pow(a, b); }
    },
    /** 1 where a == b, else 0 (masks for max backward). */
    EQ {
        public double apply(double a, double b) { return a == b ? 1 : 0; }
    },
    /** 1 where a > b, else 0. */
    GT {
        public double apply(double a, double b) { return a > b ? 1 : 0; }
    };

    public abstract double apply(double a, double b);
}
