namespace Backprop.Performance;

/// <summary>What <see cref="EpochBench"/> times: one way to train 784-nh-10 for an epoch.</summary>
public enum BenchMode
{
    /// <summary>The baseline: a plain TorchSharp loop over slices of preloaded tensors, <c>zero_grad</c>, <c>backward</c>, <c>step</c>.</summary>
    Raw,

    /// <summary>Our final stage as <c>backprop train</c> runs it, unshuffled: <see cref="Data.DataLoader"/>, <c>nn.Sequential</c>, <c>optim.SGD</c>, <see cref="Training.Fit"/>.</summary>
    Final,

    /// <summary>The final stage with our shuffling <see cref="Data.Sampler"/> (a new torch permutation every epoch).</summary>
    Shuffled,

    /// <summary>The same model on TorchSharp's own <c>torch.utils.data.DataLoader</c> over a <c>Dataset</c> (one <c>GetTensor</c> per sample, then concatenation).</summary>
    TorchSharpLoader,

    /// <summary>Lesson 03's hand-written gradients and SGD (<see cref="Training.ManualStep"/>) through <see cref="Training.Fit"/>.</summary>
    Manual,
}
