package dev.kiln.core.kernel;

/** Element-wise unary functions with their scalar definition (the reference the fast kernels must match). */
public enum UnaryKind {
    NEG {
        public double apply(double x) { return -x; }
    },
    EXP {
        public double apply(double x) { return Math.exp(x); }
    },
    LOG {
        public double apply(double x) { return Math.log(x); }
    },
    SQRT {
        public double apply(double x) { return Math.sqrt(x); }
    },
    ABS {
        public double apply(double x) { return Math.abs(x); }
    },
    SIGN {
        public double apply(double x) { return Math.signum(x); }
    },
    RELU {
        public double apply(double x) { return x > 0 ? x : 0; }
    },
    /** 1 where x > 0, else 0: the derivative of ReLU. */
    STEP {
        public double apply(double x) { return x > 0 ? 1 : 0; }
    },
    SIGMOID {
        public double apply(double x) { return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)); }
    },
    TANH {
        public double apply(double x) { return Math.tanh(x); }
    };

    public abstract double apply(double x);
}
