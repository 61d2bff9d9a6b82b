using System.Numerics.Tensors;
using Transfer.Featurization;
using Transfer.Heads.Neural;

namespace Transfer.Heads.MaximumEntropy;

/// <summary>
/// The smooth part of ML.NET's maximum-entropy objective over a feature matrix:
/// <c>(Σ_i −log softmax(W·x_i + b)[y_i] + ½·l2·‖W‖²) / N</c>, and its gradient. Parameters are laid out as ML.NET lays
/// them out: the class biases first, then the weights class by class.
/// </summary>
/// <remarks>
/// Rows are processed in fixed blocks (the same blocks whatever the thread count, summed in block order), so the value
/// and gradient do not depend on how many threads ran them.
/// </remarks>
internal sealed class SoftmaxObjective
{
    /// <summary>Rows per block on large sets: a block of 512-wide features (512 KiB) stays in a core's L2 cache while it is read three times.</summary>
    private const int LargeBlockRows = 256;

    /// <summary>Rows per block on small sets (under 16 large blocks), so that they still split across cores.</summary>
    private const int SmallBlockRows = 32;

    private readonly float[] _features;
    private readonly int[] _labels;
    private readonly int _rows;
    private readonly float _l2;
    private readonly int _threads;
    private readonly int _blockRows;
    private readonly int _blocks;
    private readonly float[] _scores; // rows × classes: scores, then softmax − one-hot
    private readonly float[] _blockGradients; // blocks × parameters
    private readonly double[] _blockLosses;

    /// <param name="data">The training rows.</param>
    /// <param name="l2">The L2 weight on the weights.</param>
    /// <param name="threads">Threads to run blocks on.</param>
    /// <param name="centered">
    /// Whether the biases are taken relative to the mean feature vector: scores are <c>W·(x − μ) + b'</c>. With the
    /// penalties on <c>W</c> only, that is the same objective (<c>b = b' − W·μ</c>, see <see cref="Uncenter"/>) with a far
    /// better conditioned Hessian for non-negative features such as pooled CNN activations, so L-BFGS needs fewer steps.
    /// </param>
    public SoftmaxObjective(FeatureMatrix data, float l2, int threads, bool centered = false)
    {
        _features = data.Values;
        _labels = data.Labels;
        _rows = data.Count;
        Classes = data.ClassCount;
        Dimension = data.Dimension;
        _l2 = l2;
        _threads = threads;
        _blockRows = _rows < 16 * LargeBlockRows ? SmallBlockRows : LargeBlockRows; // depends on the rows only, not the threads
        _blocks = (_rows + _blockRows - 1) / _blockRows;
        _scores = new float[(long)_rows * Classes];
        _blockGradients = new float[(long)_blocks * ParameterCount];
        _blockLosses = new double[_blocks];
        if (centered)
        {
            var sums = new double[Dimension];
            for (int i = 0; i < _rows; i++)
            {
                var row = _features.AsSpan(i * Dimension, Dimension);
                for (int j = 0; j < Dimension; j++)
                {
                    sums[j] += row[j];
                }
            }

            _mean = new float[Dimension];
            for (int j = 0; j < Dimension; j++)
            {
                _mean[j] = (float)(sums[j] / Math.Max(1, _rows));
            }
        }
    }

    private readonly float[]? _mean;

    /// <summary>Turns centered parameters (<c>b'</c>, <c>W</c>) into plain ones in place: <c>b = b' − W·μ</c>. Does nothing when not centered.</summary>
    /// <param name="parameters">Biases then weights.</param>
    public void Uncenter(Span<float> parameters)
    {
        if (_mean is null)
        {
            return;
        }

        for (int k = 0; k < Classes; k++)
        {
            parameters[k] -= TensorPrimitives.Dot(parameters.Slice(Classes + (k * Dimension), Dimension), _mean);
        }
    }

    public int Classes { get; }

    public int Dimension { get; }

    /// <summary>Gets the number of parameters: classes biases, then classes × dimension weights.</summary>
    public int ParameterCount => Classes * (Dimension + 1);

    /// <summary>Computes the objective at <paramref name="parameters"/> and writes its gradient.</summary>
    /// <param name="parameters">Biases then weights.</param>
    /// <param name="gradient">Receives the gradient, same layout.</param>
    /// <returns>The objective.</returns>
    public double Evaluate(ReadOnlySpan<float> parameters, Span<float> gradient)
    {
        var x = parameters.ToArray(); // the blocks read it from other threads
        Uncenter(x); // scores W·(x − μ) + b' = W·x + (b' − W·μ)
        if (_blocks == 1 || _threads == 1)
        {
            for (int b = 0; b < _blocks; b++)
            {
                Block(b, x);
            }
        }
        else
        {
            Parallel.For(0, _blocks, new ParallelOptions { MaxDegreeOfParallelism = _threads }, b => Block(b, x));
        }

        int p = ParameterCount;
        double loss = 0;
        _blockGradients.AsSpan(0, p).CopyTo(gradient);
        for (int b = 0; b < _blocks; b++)
        {
            loss += _blockLosses[b];
            if (b > 0)
            {
                TensorPrimitives.Add(gradient, _blockGradients.AsSpan(b * p, p), gradient);
            }
        }

        var weights = parameters[Classes..];
        var weightGradient = gradient[Classes..];
        if (_mean is not null)
        {
            // ∂/∂W of the centered scores: Σ δ (x − μ)ᵀ = Σ δ xᵀ − (Σ δ) μᵀ; the bias gradient Σ δ is unchanged.
            for (int k = 0; k < Classes; k++)
            {
                var row = weightGradient.Slice(k * Dimension, Dimension);
                TensorPrimitives.MultiplyAdd(_mean, -gradient[k], row, row);
            }
        }

        if (_l2 > 0)
        {
            double squares = 0;
            foreach (float w in weights)
            {
                squares += w * w;
            }

            loss += 0.5 * _l2 * squares;
            TensorPrimitives.MultiplyAdd(weights, _l2, weightGradient, weightGradient);
        }

        float scale = 1f / _rows;
        TensorPrimitives.Multiply(gradient, scale, gradient);
        return loss / _rows;
    }

    /// <summary>Loss and gradient of one block of rows into its own slot.</summary>
    private void Block(int block, float[] parameters)
    {
        int c = Classes;
        int d = Dimension;
        int start = block * _blockRows;
        int rows = Math.Min(_blockRows, _rows - start);
        var features = _features.AsSpan(start * d, rows * d);
        var scores = _scores.AsSpan(start * c, rows * c);
        var bias = parameters.AsSpan(0, c);
        var weights = parameters.AsSpan(c, c * d);
        DenseKernels.Forward(features, weights, bias, scores, d, c, 0, rows);

        double loss = 0;
        for (int r = 0; r < rows; r++)
        {
            var s = scores.Slice(r * c, c);
            int label = _labels[start + r];
            float max = TensorPrimitives.Max(s);
            float labelMargin = s[label] - max; // log of the label's unnormalised probability, kept before exp can underflow
            float sum = 0;
            for (int k = 0; k < c; k++)
            {
                s[k] = MathF.Exp(s[k] - max);
                sum += s[k];
            }

            loss += Math.Log(sum) - labelMargin;
            TensorPrimitives.Multiply(s, 1f / sum, s);
            s[label] -= 1f;
        }

        _blockLosses[block] = loss;
        var gradient = _blockGradients.AsSpan(block * ParameterCount, ParameterCount);
        DenseKernels.WeightGradient(scores, features, gradient[c..], gradient[..c], rows, d, c, 0, c);
    }
}
