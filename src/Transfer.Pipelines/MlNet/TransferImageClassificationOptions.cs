using System.Globalization;
using Microsoft.ML;
using Transfer.Backbones;
using Transfer.Heads;
using Transfer.Heads.Neural;
using Transfer.Validation;

namespace Transfer.Pipelines.MlNet;

/// <content>The options, named like ML.NET's <c>ImageClassificationTrainer.Options</c> where the name still means the same thing.</content>
public sealed partial class TransferImageClassificationTrainer
{
    /// <summary>
    /// Options of <see cref="TransferImageClassificationTrainer"/>. Names follow ML.NET's <c>ImageClassificationTrainer.Options</c>
    /// (<c>Arch</c>, <c>Epoch</c>, <c>BatchSize</c>, <c>LearningRate</c>, <c>LearningRateScheduler</c>, <c>EarlyStoppingCriteria</c>,
    /// <c>MetricsCallback</c>, <c>ValidationSet</c>, <c>ValidationSetFraction</c>, <c>WorkspacePath</c>); the defaults are
    /// Transfer's (Adam, 30 epochs, early stopping that restores the best epoch), which train a head on cached features in
    /// seconds where ImageClassificationTrainer's (SGD 0.01, 200 epochs) take minutes.
    /// </summary>
#pragma warning disable CA1034 // Nested on purpose: ML.NET users write TrainerName.Options.
    public sealed class Options
#pragma warning restore CA1034
    {
        /// <summary>The default value of <see cref="LabelColumnName"/>: <c>Label</c>.</summary>
        public const string DefaultLabelColumnName = "Label";

        /// <summary>The default value of <see cref="FeatureColumnName"/>: <c>Features</c> (ML.NET's default).</summary>
        public const string DefaultFeatureColumnName = "Features";

        /// <summary>The default value of <see cref="ScoreColumnName"/>: <c>Score</c>.</summary>
        public const string DefaultScoreColumnName = "Score";

        /// <summary>The default value of <see cref="PredictedLabelColumnName"/>: <c>PredictedLabel</c>.</summary>
        public const string DefaultPredictedLabelColumnName = "PredictedLabel";

        /// <summary>Gets or sets the key label column (from <c>MapValueToKey</c>; its key values are the class names).</summary>
        /// <value>The default value is <c>Label</c>.</value>
        public string LabelColumnName { get; set; } = DefaultLabelColumnName;

        /// <summary>Gets or sets the column of encoded image bytes (PNG, JPEG, BMP, GIF, WebP), a <c>VarVector&lt;Byte&gt;</c> as <c>LoadRawImageBytes</c> makes.</summary>
        /// <value>The default value is <c>Features</c>.</value>
        public string FeatureColumnName { get; set; } = DefaultFeatureColumnName;

        /// <summary>Gets or sets the output column of class probabilities (<c>Vector&lt;Single&gt;</c>, in key order).</summary>
        /// <value>The default value is <c>Score</c>.</value>
        public string ScoreColumnName { get; set; } = DefaultScoreColumnName;

        /// <summary>Gets or sets the output column of the predicted class (a key of the label's key type, so <c>MapKeyToValue</c> turns it into the class name).</summary>
        /// <value>The default value is <c>PredictedLabel</c>.</value>
        public string PredictedLabelColumnName { get; set; } = DefaultPredictedLabelColumnName;

        /// <summary>Gets or sets the backbone that turns images into features (ImageClassificationTrainer's architecture).</summary>
        /// <value>The default value is <see langword="null"/>: <see cref="Backbones.Backbones.Default"/> (ResNet18 with ImageNet weights, shipped offline in a NuGet package, stage 3 pooled in).</value>
        public Backbone? Arch { get; set; }

        /// <summary>Gets or sets the number of training epochs of the head.</summary>
        /// <value>The default value is 30 (<see cref="NeuralHeadOptions.DefaultEpochs"/>). Must be at least 1.</value>
        public int Epoch { get; set; } = NeuralHeadOptions.DefaultEpochs;

        /// <summary>Gets or sets the mini-batch size.</summary>
        /// <value>The default value is 32. Must be at least 1.</value>
        public int BatchSize { get; set; } = NeuralHeadOptions.DefaultBatchSize;

        /// <summary>Gets or sets the base learning rate (the peak rate of a warm-up schedule).</summary>
        /// <value>The default value is 0.001 (Adam). Must be positive and finite; with <see cref="NeuralOptimizer.Sgd"/> use about 0.01.</value>
        public float LearningRate { get; set; } = (float)NeuralHeadOptions.DefaultLearningRate;

        /// <summary>Gets or sets the update rule (ImageClassificationTrainer always used plain SGD).</summary>
        /// <value>The default value is <see cref="NeuralOptimizer.Adam"/>.</value>
        public NeuralOptimizer Optimizer { get; set; } = NeuralOptimizer.Adam;

        /// <summary>
        /// Gets or sets the learning-rate schedule. <see cref="ExponentialDecaySchedule"/>'s defaults are ImageClassificationTrainer's
        /// <c>ExponentialLRDecay</c>; <see cref="PolynomialDecaySchedule"/>'s are its <c>PolynomialLRDecay</c>.
        /// </summary>
        /// <value>The default value is <see langword="null"/>: a constant rate.</value>
        public LearningRateSchedule? LearningRateScheduler { get; set; }

        /// <summary>Gets or sets early stopping on the validation data; <see langword="null"/> trains every epoch.</summary>
        /// <value>The default value is validation loss, patience 5, best epoch's weights restored (ImageClassificationTrainer kept the last epoch's).</value>
        public EarlyStopping? EarlyStoppingCriteria { get; set; } = new();

        /// <summary>Gets or sets a callback called after each epoch with its metrics (train and validation accuracy and cross-entropy, learning rate).</summary>
        /// <value>The default value is <see langword="null"/>.</value>
        public Action<EpochMetrics>? MetricsCallback { get; set; }

        /// <summary>Gets or sets validation data with the same image and label columns (and the same key values) as the training data.</summary>
        /// <value>The default value is <see langword="null"/>: <see cref="ValidationSetFraction"/> of the training data is held out.</value>
        public IDataView? ValidationSet { get; set; }

        /// <summary>Gets or sets the stratified fraction of the training data held out for validation when <see cref="ValidationSet"/> is <see langword="null"/>.</summary>
        /// <value>The default value is 0.1. Must be in [0, 1); <see langword="null"/> or 0 trains on everything, without validation metrics or early stopping.</value>
        public float? ValidationSetFraction { get; set; } = (float)NeuralHeadOptions.DefaultValidationFraction;

        /// <summary>
        /// Gets or sets the bottleneck cache folder. Features are keyed by the SHA-256 of the image bytes, the backbone and the
        /// preprocessing, so a second <c>Fit</c> on the same images (in any order, under any file name) computes none; nothing
        /// needs to be declared reusable as with ImageClassificationTrainer's <c>Reuse…BottleneckCachedValues</c>.
        /// </summary>
        /// <value>The default value is <see langword="null"/>: features are kept in memory only.</value>
        public string? WorkspacePath { get; set; }

        /// <summary>Gets or sets hidden ReLU layer widths; empty trains one dense softmax layer, as ImageClassificationTrainer.</summary>
        /// <value>The default value is empty.</value>
        public IReadOnlyList<int> HiddenLayers { get; set; } = [];

        /// <summary>
        /// Gets or sets the head trainer, or <see langword="null"/> to let the knobs above decide: when every neural-head
        /// knob (<see cref="Epoch"/>, <see cref="BatchSize"/>, <see cref="LearningRate"/>, <see cref="Optimizer"/>,
        /// <see cref="LearningRateScheduler"/>, <see cref="MetricsCallback"/>, <see cref="HiddenLayers"/>) is at its default,
        /// the head is chosen by cross-validation on the training data as <c>TransferPipeline</c> chooses it
        /// (<see cref="AutoHeadTrainer"/>); when any is set, the ImageClassificationTrainer-style softmax/MLP head is trained
        /// with them.
        /// </summary>
        /// <value>The default value is <see langword="null"/>.</value>
        public HeadTrainer? Head { get; set; }

        /// <summary>Gets or sets the seed of weight initialisation, shuffling and the validation split.</summary>
        /// <value>The default value is 0.</value>
        public int Seed { get; set; }

        /// <summary>Checks every option and lists every problem in one exception.</summary>
        /// <exception cref="OptionsValidationException">One or more options are invalid; <see cref="OptionsValidationException.Problems"/> lists them all, in order.</exception>
        internal void Validate()
        {
            var problems = new ValidationProblems();
            CheckName(problems, nameof(LabelColumnName), LabelColumnName);
            CheckName(problems, nameof(FeatureColumnName), FeatureColumnName);
            CheckName(problems, nameof(ScoreColumnName), ScoreColumnName);
            CheckName(problems, nameof(PredictedLabelColumnName), PredictedLabelColumnName);
            if (Epoch < 1)
            {
                problems.Add($"Epoch must be at least 1, was {Epoch}.");
            }

            if (BatchSize < 1)
            {
                problems.Add($"BatchSize must be at least 1, was {BatchSize}.");
            }

            if (!(LearningRate > 0) || float.IsInfinity(LearningRate))
            {
                problems.Add($"LearningRate must be positive and finite, was {LearningRate.ToString(CultureInfo.InvariantCulture)}; try 0.001 with Adam or 0.01 with Sgd.");
            }

            if (ValidationSetFraction is float fraction && !(fraction >= 0 && fraction < 1))
            {
                problems.Add($"ValidationSetFraction must be in [0, 1) or null, was {fraction.ToString(CultureInfo.InvariantCulture)}.");
            }

            if (WorkspacePath is not null && string.IsNullOrWhiteSpace(WorkspacePath))
            {
                problems.Add("WorkspacePath must be a folder path or null (no on-disk cache), was blank.");
            }

            if (problems.Count == 0)
            {
                // The head's own checks (schedule, early stopping, hidden layers), named as the user wrote them.
                try
                {
                    ToHeadOptions(hasValidationSet: ValidationSet is not null).Validate(requireHiddenLayers: false);
                }
                catch (OptionsValidationException e)
                {
                    foreach (string problem in e.Problems)
                    {
                        problems.Add(problem.Replace("EarlyStopping.", "EarlyStoppingCriteria.", StringComparison.Ordinal));
                    }
                }
            }

            problems.ThrowIfAny("TransferImageClassificationTrainer.Options");
        }

        /// <summary>Whether any knob of the neural head was set (then that head is trained; otherwise the automatic choice).</summary>
        internal bool SetsNeuralHead =>
            Epoch != NeuralHeadOptions.DefaultEpochs || BatchSize != NeuralHeadOptions.DefaultBatchSize || LearningRate != (float)NeuralHeadOptions.DefaultLearningRate
            || Optimizer != NeuralOptimizer.Adam || LearningRateScheduler is not null || MetricsCallback is not null || HiddenLayers.Count > 0;

        /// <summary>The neural head options these options stand for.</summary>
        internal NeuralHeadOptions ToHeadOptions(bool hasValidationSet)
        {
            double fraction = hasValidationSet ? NeuralHeadOptions.DefaultValidationFraction : ValidationSetFraction ?? 0;
            return new NeuralHeadOptions
            {
                Epochs = Epoch,
                BatchSize = BatchSize,
                LearningRate = LearningRate,
                Optimizer = Optimizer,
                Schedule = LearningRateScheduler ?? LearningRateSchedule.Constant,
                EarlyStopping = EarlyStoppingCriteria,
                ValidationFraction = fraction,

                // ValidationSetFraction null or 0 without a ValidationSet is the user's explicit choice (as in ImageClassificationTrainer).
                AllowNoValidation = !hasValidationSet && fraction == 0,
                EpochCompleted = MetricsCallback,
                HiddenLayers = HiddenLayers,
                Seed = Seed,
            };
        }

        private static void CheckName(ValidationProblems problems, string option, string? value)
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                problems.Add($"{option} must name a column, was {(value is null ? "null" : "blank")}.");
            }
        }
    }
}
