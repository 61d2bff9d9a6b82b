using System.Numerics;
using System.Numerics.Tensors;

namespace Transfer.Heads.Neural;

/// <summary>
/// SGD with momentum, Adam and AdamW over a flat parameter array (a <see cref="DenseNetwork"/>'s, or the tuned blocks' of
/// fine-tuning); weight decay touches the weight ranges only, never biases.
/// </summary>
internal sealed class ParameterOptimizer
{
    private readonly float[] parameters;
    private readonly (int Offset, int Length)[] weightRanges;
    private readonly NeuralOptimizer kind;
    private readonly float momentum;
    private readonly double beta1;
    private readonly double beta2;
    private readonly float epsilon;
    private readonly float weightDecay;
    private readonly float[] first;
    private readonly float[] second;
    private const int AdamChunk = 4096;

    private readonly int maxThreads;
    private long steps;

    public ParameterOptimizer(DenseNetwork network, NeuralHeadOptions options)
        : this(
            network.Parameters,
            [.. Enumerable.Range(0, network.LayerCount).Select(l => (network.WeightOffset(l), network.WeightLength(l)))],
            options.Optimizer,
            options.Momentum,
            options.Beta1,
            options.Beta2,
            options.Epsilon,
            options.WeightDecay,
            options.MaxDegreeOfParallelism ?? Environment.ProcessorCount)
    {
    }

    /// <param name="parameters">The parameters, updated in place by <see cref="Step"/>.</param>
    /// <param name="weightRanges">The ranges of <paramref name="parameters"/> that weight decay applies to.</param>
    /// <param name="kind">The update rule.</param>
    /// <param name="momentum">SGD's momentum.</param>
    /// <param name="beta1">Adam's first-moment decay.</param>
    /// <param name="beta2">Adam's second-moment decay.</param>
    /// <param name="epsilon">Adam's denominator guard.</param>
    /// <param name="weightDecay">Decoupled (AdamW) or L2 (SGD, Adam) weight decay.</param>
    /// <param name="maxThreads">Threads for the Adam update.</param>
    public ParameterOptimizer(float[] parameters, (int Offset, int Length)[] weightRanges, NeuralOptimizer kind, double momentum, double beta1, double beta2, double epsilon, double weightDecay, int maxThreads)
    {
        this.parameters = parameters;
        this.weightRanges = weightRanges;
        this.kind = kind;
        this.momentum = (float)momentum;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = (float)epsilon;
        this.weightDecay = (float)weightDecay;
        first = new float[parameters.Length];
        second = kind == NeuralOptimizer.Sgd ? [] : new float[parameters.Length];
        this.maxThreads = maxThreads;
    }

    /// <summary>Applies one update with <paramref name="gradient"/> (which may be modified) at <paramref name="learningRate"/>.</summary>
    public void Step(float[] gradient, double learningRate)
    {
        steps++;
        float rate = (float)learningRate;
        if (weightDecay > 0)
        {
            foreach (var (offset, length) in weightRanges)
            {
                Span<float> weights = parameters.AsSpan(offset, length);
                if (kind == NeuralOptimizer.AdamW)
                {
                    // Decoupled decay (PyTorch AdamW): w ← w × (1 − lr × λ), before the Adam step.
                    TensorPrimitives.Multiply(weights, 1f - (rate * weightDecay), weights);
                }
                else
                {
                    // L2: g ← g + λ w.
                    Span<float> g = gradient.AsSpan(offset, length);
                    TensorPrimitives.MultiplyAdd(weights, weightDecay, g, g);
                }
            }
        }

        if (kind == NeuralOptimizer.Sgd)
        {
            // PyTorch momentum: v ← μ v + g; w ← w − lr v.
            TensorPrimitives.MultiplyAdd(first, momentum, gradient, first);
            TensorPrimitives.MultiplyAdd(first, -rate, parameters, parameters);
            return;
        }

        // Adam: m ← β₁ m + (1 − β₁) g; v ← β₂ v + (1 − β₂) g²; w ← w − lr m̂ / (√v̂ + ε), fused in one pass.
        double correction1 = 1 - Math.Pow(beta1, steps);
        double correction2 = 1 - Math.Pow(beta2, steps);
        var update = new AdamUpdate(
            parameters,
            gradient,
            first,
            second,
            (float)beta1,
            (float)beta2,
            (float)(-learningRate / correction1),
            (float)(1 / Math.Sqrt(correction2)),
            epsilon);
        ParallelRows.For((parameters.Length + AdamChunk - 1) / AdamChunk, AdamChunk * 4L, maxThreads, update, static (u, start, end) => u.Apply(start * AdamChunk, Math.Min(u.Parameters.Length, end * AdamChunk)));
    }
}

/// <summary>One fused Adam update over a range of parameters (elementwise, so any split gives the same result).</summary>
internal sealed record AdamUpdate(float[] Parameters, float[] Gradient, float[] First, float[] Second, float Beta1, float Beta2, float StepScale, float SecondScale, float Epsilon)
{
    /// <summary>Moments below this are flushed to zero: decaying moments of idle weights would otherwise sit in the denormal range, which is many times slower on x64.</summary>
    private const float Flush = 1e-30f;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void Apply(int start, int end)
    {
        Span<float> p = Parameters.AsSpan(start, end - start);
        ReadOnlySpan<float> g = Gradient.AsSpan(start, end - start);
        Span<float> m = First.AsSpan(start, end - start);
        Span<float> v = Second.AsSpan(start, end - start);
        var b1 = new Vector<float>(Beta1);
        var c1 = new Vector<float>(1 - Beta1);
        var b2 = new Vector<float>(Beta2);
        var c2 = new Vector<float>(1 - Beta2);
        var stepScale = new Vector<float>(StepScale);
        var secondScale = new Vector<float>(SecondScale);
        var epsilon = new Vector<float>(Epsilon);
        var flush = new Vector<float>(Flush);
        int i = 0;
        for (; i <= p.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            var gi = new Vector<float>(g[i..]);
            var mi = (b1 * new Vector<float>(m[i..])) + (c1 * gi);
            var vi = (b2 * new Vector<float>(v[i..])) + (c2 * gi * gi);
            mi = Vector.ConditionalSelect(Vector.GreaterThan(Vector.Abs(mi), flush), mi, Vector<float>.Zero);
            vi = Vector.ConditionalSelect(Vector.GreaterThan(vi, flush), vi, Vector<float>.Zero);
            mi.CopyTo(m[i..]);
            vi.CopyTo(v[i..]);
            var pi = new Vector<float>(p[i..]) + (stepScale * mi / ((Vector.SquareRoot(vi) * secondScale) + epsilon));
            pi.CopyTo(p[i..]);
        }

        for (; i < p.Length; i++)
        {
            float mi = (Beta1 * m[i]) + ((1 - Beta1) * g[i]);
            float vi = (Beta2 * v[i]) + ((1 - Beta2) * g[i] * g[i]);
            mi = Math.Abs(mi) > Flush ? mi : 0f;
            vi = vi > Flush ? vi : 0f;
            m[i] = mi;
            v[i] = vi;
            p[i] += StepScale * mi / ((MathF.Sqrt(vi) * SecondScale) + Epsilon);
        }
    }
}
