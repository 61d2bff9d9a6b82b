namespace Transfer.Heads.Neural;

/// <summary>
/// One dense layer and a softmax over the bottleneck features: the head ML.NET's <c>ImageClassificationTrainer</c>
/// trains, here with Adam or SGD, schedules, early stopping and class weights.
/// </summary>
/// <example>
/// <code>
/// var trainer = new NeuralHeadTrainer(new SoftmaxHead(new NeuralHeadOptions { Epochs = 30, Schedule = new CosineDecaySchedule() }), progress);
/// TrainedNeuralHead trained = trainer.Train(trainFeatures, validationFeatures, classes);
/// </code>
/// </example>
public sealed class SoftmaxHead : NeuralHead
{
    /// <summary>Creates a softmax head (train it with <see cref="NeuralHeadTrainer"/>); <see cref="NeuralHeadOptions.HiddenLayers"/> is ignored.</summary>
    /// <param name="options">The options, or <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentException">An option is invalid; the message lists every failure.</exception>
    public SoftmaxHead(NeuralHeadOptions? options = null)
        : base(options, requireHiddenLayers: false)
    {
    }

    /// <inheritdoc/>
    internal override string Name => "softmax";

    /// <inheritdoc/>
    internal override int[] LayerSizes(int dimension, int classes) => [dimension, classes];
}
