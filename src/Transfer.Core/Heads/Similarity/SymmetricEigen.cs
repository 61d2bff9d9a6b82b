namespace Transfer.Heads.Similarity;

/// <summary>Eigen-decomposition of a small symmetric matrix (cyclic Jacobi rotations; exact to rounding for the few hundred rows it is used on).</summary>
internal static class SymmetricEigen
{
    /// <summary>The eigenvalues (unsorted) and the eigenvectors as the columns of the second array.</summary>
    public static (double[] Values, double[,] Vectors) Jacobi(double[,] matrix)
    {
        int n = matrix.GetLength(0);
        var a = (double[,])matrix.Clone();
        var v = new double[n, n];
        double scale = 0;
        for (int i = 0; i < n; i++)
        {
            v[i, i] = 1;
            scale += a[i, i] * a[i, i];
        }

        for (int sweep = 0; sweep < 60; sweep++)
        {
            double off = 0;
            for (int p = 0; p < n; p++)
            {
                for (int q = p + 1; q < n; q++)
                {
                    off += a[p, q] * a[p, q];
                }
            }

            if (off <= 1e-24 * scale)
            {
                break;
            }

            for (int p = 0; p < n; p++)
            {
                for (int q = p + 1; q < n; q++)
                {
                    if (a[p, q] == 0)
                    {
                        continue;
                    }

                    double theta = (a[q, q] - a[p, p]) / (2 * a[p, q]);
                    double t = (theta >= 0 ? 1 : -1) / (Math.Abs(theta) + Math.Sqrt((theta * theta) + 1));
                    double c = 1 / Math.Sqrt((t * t) + 1), s = t * c;
                    Rotate(a, v, n, p, q, c, s);
                }
            }
        }

        var values = new double[n];
        for (int i = 0; i < n; i++)
        {
            values[i] = a[i, i];
        }

        return (values, v);
    }

    private static void Rotate(double[,] a, double[,] v, int n, int p, int q, double c, double s)
    {
        for (int k = 0; k < n; k++)
        {
            double kp = a[k, p], kq = a[k, q];
            a[k, p] = (c * kp) - (s * kq);
            a[k, q] = (s * kp) + (c * kq);
        }

        for (int k = 0; k < n; k++)
        {
            double pk = a[p, k], qk = a[q, k];
            a[p, k] = (c * pk) - (s * qk);
            a[q, k] = (s * pk) + (c * qk);
        }

        for (int k = 0; k < n; k++)
        {
            double kp = v[k, p], kq = v[k, q];
            v[k, p] = (c * kp) - (s * kq);
            v[k, q] = (s * kp) + (c * kq);
        }
    }
}
