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
    private readonly float[] scratch;
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
        scratch = kind == NeuralOptimizer.Sgd ? [] : new float[network.Parameters.Length];
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

        // Adam: m ← β₁ m + (1 − β₁) g; v ← β₂ v + (1 − β₂) g²; w ← w − lr m̂ / (√v̂ + ε).
        TensorPrimitives.Multiply(first, (float)beta1, first);
        TensorPrimitives.MultiplyAdd(gradient, (float)(1 - beta1), first, first);
        TensorPrimitives.Multiply(second, (float)beta2, second);
        TensorPrimitives.Multiply(gradient, gradient, scratch);
        TensorPrimitives.MultiplyAdd(scratch, (float)(1 - beta2), second, second);
        double correction1 = 1 - Math.Pow(beta1, steps);
        double correction2 = 1 - Math.Pow(beta2, steps);
        TensorPrimitives.Sqrt(second, scratch);
        TensorPrimitives.Multiply(scratch, (float)(1 / Math.Sqrt(correction2)), scratch);
        TensorPrimitives.Add(scratch, epsilon, scratch);
        TensorPrimitives.Divide(first, scratch, scratch);
        TensorPrimitives.MultiplyAdd(scratch, (float)(-learningRate / correction1), parameters, parameters);
    }
}
