namespace Transfer.Images;

/// <summary>Which part of a dataset an audit finding is in.</summary>
public enum DatasetPart
{
    /// <summary>The training set.</summary>
    Train,

    /// <summary>The test set.</summary>
    Test,
}
