namespace Transfer.FineTuning;

/// <summary>Which layers at the top of the backbone fine-tuning trains (with the head); everything below stays frozen.</summary>
public enum TunedLayers
{
    /// <summary>The last residual stage: every block from the one that changes the shape (ResNet18's <c>layer4</c>) to the top.</summary>
    LastStage = 0,

    /// <summary>Only the last residual block: about a third of <see cref="LastStage"/>'s work per image.</summary>
    LastBlock = 1,
}
