using System.Numerics.Tensors;

// Shrunk covariance whitening from few rows: Σ = (1-λ)S + λ(tr S/d)I, S from the rows (n×d, already centred as wanted);
// returns a function x -> Σ^{-1/2} x using the low-rank eigenbasis of S.
static class Whiten
{
    public static Func<float[], float[]> Fit(float[][] rows, float lambda)
    {
        int n = rows.Length, d = rows[0].Length;
        var g = new double[n, n];
        for (int i = 0; i < n; i++) for (int j = 0; j <= i; j++) g[i, j] = g[j, i] = TensorPrimitives.Dot(rows[i], rows[j]) / (double)n;
        double trace = 0; for (int i = 0; i < n; i++) trace += g[i, i];
        double s2 = trace / d;
        var (vals, vecs) = Jacobi(g);
        var basis = new List<(float[] V, double Scale)>();
        double iso = 1 / Math.Sqrt(lambda * s2);
        for (int k = 0; k < n; k++)
        {
            if (vals[k] <= 1e-9 * trace) continue;
            var v = new float[d];
            for (int i = 0; i < n; i++) TensorPrimitives.MultiplyAdd(rows[i], (float)(vecs[i, k] / Math.Sqrt(n * vals[k])), v, v);
            // along v: 1/sqrt((1-λ)λ_k + λ s2); elsewhere iso
            basis.Add((v, 1 / Math.Sqrt((1 - lambda) * vals[k] + lambda * s2) - iso));
        }
        return x =>
        {
            var r = new float[d];
            TensorPrimitives.Multiply(x, (float)iso, r);
            foreach (var (v, sc) in basis) TensorPrimitives.MultiplyAdd(v, (float)(sc * TensorPrimitives.Dot(v, x)), r, r);
            return r;
        };
    }

    public static (double[] Values, double[,] Vectors) Jacobi(double[,] a0)
    {
        int n = a0.GetLength(0);
        var a = (double[,])a0.Clone();
        var v = new double[n, n];
        for (int i = 0; i < n; i++) v[i, i] = 1;
        for (int sweep = 0; sweep < 50; sweep++)
        {
            double off = 0;
            for (int p = 0; p < n; p++) for (int q = p + 1; q < n; q++) off += a[p, q] * a[p, q];
            if (off < 1e-22) break;
            for (int p = 0; p < n; p++)
                for (int q = p + 1; q < n; q++)
                {
                    if (Math.Abs(a[p, q]) < 1e-300) continue;
                    double theta = (a[q, q] - a[p, p]) / (2 * a[p, q]);
                    double t = Math.Sign(theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
                    if (theta == 0) t = 1;
                    double c = 1 / Math.Sqrt(t * t + 1), s = t * c;
                    for (int k = 0; k < n; k++)
                    {
                        double akp = a[k, p], akq = a[k, q];
                        a[k, p] = c * akp - s * akq; a[k, q] = s * akp + c * akq;
                    }
                    for (int k = 0; k < n; k++)
                    {
                        double apk = a[p, k], aqk = a[q, k];
                        a[p, k] = c * apk - s * aqk; a[q, k] = s * apk + c * aqk;
                    }
                    for (int k = 0; k < n; k++)
                    {
                        double vkp = v[k, p], vkq = v[k, q];
                        v[k, p] = c * vkp - s * vkq; v[k, q] = s * vkp + c * vkq;
                    }
                }
        }
        var vals = new double[n];
        for (int i = 0; i < n; i++) vals[i] = a[i, i];
        return (vals, v);
    }
}
