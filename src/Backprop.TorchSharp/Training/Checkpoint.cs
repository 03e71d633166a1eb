namespace Backprop.Training;

/// <summary>
/// Everything a run needs to continue as if it had never stopped: its settings, the epochs done and their results, the
/// model's weights (in <c>nn.Sequential(nn.Linear, nn.ReLU, nn.Linear)</c>'s <c>state_dict</c> layout, whichever path
/// trained them), the optimizer's state and torch's random state. Read and written by <see cref="CheckpointFile"/>.
/// </summary>
/// <param name="Settings">The run's settings.</param>
/// <param name="History">One result per epoch done; its count is the number of epochs done.</param>
/// <param name="Weights">The model's parameters by <c>state_dict</c> name: <c>0.weight</c> (nh, 784), <c>0.bias</c> (nh), <c>2.weight</c> (10, nh), <c>2.bias</c> (10).</param>
/// <param name="Optimizer">The optimizer's state.</param>
/// <param name="RngState">torch's CPU generator state (<c>torch.get_rng_state()</c>) after the last epoch: the next epoch's shuffle comes from it.</param>
public sealed record Checkpoint(
    TrainSettings Settings,
    IReadOnlyList<EpochResult> History,
    IReadOnlyList<CheckpointTensor> Weights,
    OptimizerState Optimizer,
    byte[] RngState)
{
    /// <summary>The number of epochs done.</summary>
    public int Epochs => History.Count;
}
