using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Factorization;

namespace Transfer.Heads.Similarity;

/// <summary>
/// Eigen-decomposition of a symmetric matrix, by Math.NET Numerics (Householder reduction to tridiagonal form, then the
/// implicit QL algorithm: EISPACK's tred2 and tql2). A 256 × 256 Gram matrix takes tens of milliseconds.
/// </summary>
internal static class SymmetricEigen
{
    /// <summary>The eigenvalues and the eigenvectors as the columns of the second array.</summary>
    public static (double[] Values, double[,] Vectors) Decompose(double[,] matrix)
    {
        if (matrix.GetLength(0) == 0)
        {
            return ([], new double[0, 0]);
        }

        var evd = Matrix<double>.Build.DenseOfArray(matrix).Evd(Symmetricity.Symmetric);
        return (evd.EigenValues.Select(v => v.Real).ToArray(), evd.EigenVectors.ToArray());
    }
}
