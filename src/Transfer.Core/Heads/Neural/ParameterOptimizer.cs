using System.Numerics;
using System.Numerics.Tensors;

namespace Transfer.Heads.Neural;

/// <summary>SGD with momentum, Adam and AdamW over a <see cref="DenseNetwork"/>'s parameters; weight decay touches weights only.</summary>
internal sealed class ParameterOptimizer
{
    private readonly DenseNetwork network;
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
    {
        this.network = network;
        kind = options.Optimizer;
        momentum = (float)options.Momentum;
        beta1 = options.Beta1;
        beta2 = options.Beta2;
        epsilon = (float)options.Epsilon;
        weightDecay = (float)options.WeightDecay;
        first = new float[network.Parameters.Length];
        second = kind == NeuralOptimizer.Sgd ? [] : new float[network.Parameters.Length];
        maxThreads = options.MaxDegreeOfParallelism ?? Environment.ProcessorCount;
    }

    /// <summary>Applies one update with <paramref name="gradient"/> (which may be modified) at <paramref name="learningRate"/>.</summary>
    public void Step(float[] gradient, double learningRate)
    {
        steps++;
        float rate = (float)learningRate;
        float[] parameters = network.Parameters;
        if (weightDecay > 0)
        {
            for (int l = 0; l < network.LayerCount; l++)
            {
                Span<float> weights = network.Weights(l);
                if (kind == NeuralOptimizer.AdamW)
                {
                    // Decoupled decay (PyTorch AdamW): w ← w × (1 − lr × λ), before the Adam step.
                    TensorPrimitives.Multiply(weights, 1f - (rate * weightDecay), weights);
                }
                else
                {
                    // L2: g ← g + λ w.
                    Span<float> g = gradient.AsSpan(network.WeightOffset(l), network.WeightLength(l));
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
