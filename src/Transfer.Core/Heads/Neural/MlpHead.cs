namespace Transfer.Heads.Neural;

/// <summary>
/// A multilayer perceptron head: the dense ReLU layers of <see cref="NeuralHeadOptions.HiddenLayers"/> with dropout,
/// then a dense softmax layer.
/// </summary>
/// <example>
/// <code>
/// var trainer = new NeuralHeadTrainer(new MlpHead(new NeuralHeadOptions { HiddenLayers = [256], Dropout = 0.3 }));
/// TrainedNeuralHead trained = trainer.Train(trainFeatures, null, classes);
/// </code>
/// </example>
public sealed class MlpHead : NeuralHead
{
    /// <summary>Creates a multilayer perceptron head (train it with <see cref="NeuralHeadTrainer"/>).</summary>
    /// <param name="options">The options, or <see langword="null"/> for the defaults (one hidden layer of 128 units).</param>
    /// <exception cref="ArgumentException">An option is invalid (for example no hidden layer); the message lists every failure.</exception>
    public MlpHead(NeuralHeadOptions? options = null)
        : base(options, requireHiddenLayers: true)
    {
    }

    /// <inheritdoc/>
    internal override string Name => "mlp";

    /// <inheritdoc/>
    internal override int[] LayerSizes(int dimension, int classes) => [dimension, .. Options.HiddenLayers, classes];
}
