using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Backprop.Training;

/// <summary>The lesson's <c>get_model</c>.</summary>
public static class Models
{
    /// <summary>
    /// <c>nn.Sequential(nn.Linear(784, nh), nn.ReLU(), nn.Linear(nh, 10))</c> and <c>optim.SGD(model.parameters(), lr)</c> (cell 21).
    /// The layers are initialised on the CPU, so <c>torch.manual_seed</c> gives the course's weights on any device, then moved to
    /// <paramref name="device"/>; the optimizer is built after the move, over the moved parameters. The caller disposes both.
    /// </summary>
    /// <param name="lr">Learning rate (the lesson's 0.5).</param>
    /// <param name="nh">Hidden units (the lesson's 50).</param>
    /// <param name="device">Where the model lives; <see langword="null"/> for the CPU.</param>
    /// <param name="nIn">Inputs per sample (784).</param>
    /// <param name="nOut">Classes (10).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="lr"/> is not a finite number above 0, or <paramref name="nh"/> is not positive.</exception>
    public static (Sequential Model, SGD Opt) GetModel(double lr = 0.5, int nh = 50, Device? device = null, int nIn = 784, int nOut = 10) =>
        GetModel(lr, [nh], device, nIn, nOut);

    /// <summary>
    /// <see cref="GetModel(double, int, Device?, int, int)"/> with any number of hidden layers: <c>hidden: [100, 50]</c> is
    /// <c>nn.Sequential(nn.Linear(784, 100), nn.ReLU(), nn.Linear(100, 50), nn.ReLU(), nn.Linear(50, 10))</c>, with the
    /// same initialisation, device and optimizer.
    /// </summary>
    /// <param name="lr">Learning rate.</param>
    /// <param name="hidden">The hidden layers' widths, first to last; at least one.</param>
    /// <param name="device">Where the model lives; <see langword="null"/> for the CPU.</param>
    /// <param name="nIn">Inputs per sample (784).</param>
    /// <param name="nOut">Classes (10).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="lr"/> is not a finite number above 0, or a width is not positive.</exception>
    /// <exception cref="ArgumentException"><paramref name="hidden"/> is empty.</exception>
    public static (Sequential Model, SGD Opt) GetModel(double lr, IReadOnlyList<int> hidden, Device? device = null, int nIn = 784, int nOut = 10)
    {
        if (!double.IsFinite(lr) || lr <= 0) throw new ArgumentOutOfRangeException(nameof(lr), lr, $"lr must be a finite number above 0, got {lr}");
        var model = GetSequential(hidden, nIn, nOut);
        if (device is not null) model.to(device);
        return (model, optim.SGD(model.parameters(), lr));
    }

    /// <summary>The lesson's model alone, on the CPU: <c>nn.Sequential(nn.Linear(nIn, nh), nn.ReLU(), nn.Linear(nh, nOut))</c>. The caller disposes it.</summary>
    /// <param name="nh">Hidden units.</param>
    /// <param name="nIn">Inputs per sample.</param>
    /// <param name="nOut">Classes.</param>
    public static Sequential GetSequential(int nh = 50, int nIn = 784, int nOut = 10) => GetSequential([nh], nIn, nOut);

    /// <summary>
    /// The model alone, on the CPU, with a ReLU after every hidden layer: <c>nn.Sequential(nn.Linear(nIn, h1), nn.ReLU(),
    /// nn.Linear(h1, h2), nn.ReLU(), ..., nn.Linear(hL, nOut))</c>, its <c>nn.Linear</c>s at indices 0, 2, 4, ... as
    /// PyTorch numbers them. The layers draw their weights in that order. The caller disposes it.
    /// </summary>
    /// <param name="hidden">The hidden layers' widths, first to last; at least one.</param>
    /// <param name="nIn">Inputs per sample.</param>
    /// <param name="nOut">Classes.</param>
    /// <exception cref="ArgumentOutOfRangeException">A width is not positive.</exception>
    /// <exception cref="ArgumentException"><paramref name="hidden"/> is empty.</exception>
    public static Sequential GetSequential(IReadOnlyList<int> hidden, int nIn = 784, int nOut = 10)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        if (hidden.Count == 0) throw new ArgumentException("give at least one hidden layer's width", nameof(hidden));
        foreach (var nh in hidden) ArgumentOutOfRangeException.ThrowIfNegativeOrZero(nh, nameof(hidden));
        int[] sizes = [nIn, .. hidden, nOut];
        var layers = new List<nn.Module<Tensor, Tensor>>();
        for (var i = 0; i + 1 < sizes.Length; i++)
        {
            if (i > 0) layers.Add(nn.ReLU());
            layers.Add(nn.Linear(sizes[i], sizes[i + 1]));
        }
        return nn.Sequential([.. layers]);
    }
}

/// <summary>The lesson's <c>loss_func</c>s.</summary>
public static class LossFunc
{
    /// <summary>
    /// <c>F.cross_entropy</c>: the mean of −log softmax(preds)[yb] over the batch, from logits <paramref name="preds"/> (N, C)
    /// and class indices <paramref name="yb"/> (N) int64; 0-dim. What the lesson trains with (<c>loss_func = F.cross_entropy</c>).
    /// </summary>
    public static Tensor CrossEntropy(Tensor preds, Tensor yb) => nn.functional.cross_entropy(preds, yb);

    /// <summary>
    /// <c>F.mse_loss(preds, F.one_hot(yb, C).float())</c>: the mean over all N × C entries of the squared difference between
    /// the outputs <paramref name="preds"/> (N, C) and the one-hot target of <paramref name="yb"/> (N) int64; 0-dim.
    /// </summary>
    public static Tensor Mse(Tensor preds, Tensor yb) =>
        nn.functional.mse_loss(preds, nn.functional.one_hot(yb, preds.shape[1]).to(preds.dtype));

    /// <summary>The loss function for a <see cref="LossKind"/>.</summary>
    public static Func<Tensor, Tensor, Tensor> For(LossKind kind) => kind switch
    {
        LossKind.CrossEntropy => CrossEntropy,
        LossKind.Mse => Mse,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "no such loss"),
    };
}

/// <summary>The loss a classifier trains on.</summary>
public enum LossKind
{
    /// <summary>Cross-entropy: log-softmax then negative log-likelihood (lesson 04).</summary>
    CrossEntropy,

    /// <summary>Mean squared error between the 10 outputs and the one-hot target (lesson 03's loss, on 10 outputs).</summary>
    Mse,
}
