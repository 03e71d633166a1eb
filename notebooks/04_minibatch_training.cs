#!/usr/bin/env dotnet
// fast.ai course 2022 part 2, notebook 04_minibatch_training, in C#: the course's cells in the course's order, each
// printing what the course's printed, marked `Out[N]:` (N: the cell's number among the notebook's code cells), or
// `Out[N]: differs from the course (...)` where it is not the text the course stores (notebooks/course/04_minibatch_training.txt).
// Run from the repository root: dotnet run notebooks/04_minibatch_training.cs
// PublishAot=false: a file-based program defaults to native AOT, whose packs (314 MB) this notebook never uses.
// CopyLocalLockFileAssemblies=false with the dev runtimeconfig: the program runs TorchSharp and libtorch from the NuGet
// cache instead of copying libtorch (480 MB) into each notebook's build folder.
#:property PublishAot=false
#:property CopyLocalLockFileAssemblies=false
#:property GenerateRuntimeConfigDevFile=true
#:project ../src/Backprop.TorchSharp
#:include Notebook.cs

using System.Diagnostics;
using Backprop.Data;
using Backprop.Native;
using TorchSharp.Modules;
using static Notebook;
using static Py;
using static Training;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;
using TorchData = Backprop.Data; // torch.utils.data: the library's DataLoader, Sampler and BatchSampler make PyTorch's draws

Header("## Setup");
// libtorch picks its vectorised kernels by CPU, and the pick changes the last bits of a sum, which training grows into other
// printed digits (on an AVX-512 CPU In[30] prints 0.11 where the course shows 0.12): pinned to AVX2 (where the CPU has
// it), every x86-64 CPU computes what the course's did. Before the first torch operator; it also loads TorchSharp.
Kernels(CpuKernels.Pin());
set_printoptions(precision: 2, linewidth: 140); // In[3], with sci_mode=False: the only mode TensorFormat prints
manual_seed(1);
// libtorch also splits a reduction among its threads, and the split changes the last bits of a sum. One thread gives bit
// for bit what 4 gives (8 and 16 differ in the 8th digit of the validation loss, 2 in a printed digit of In[76]); every
// count tried prints the course's numbers for every cell but In[76], which none reproduces. One thread is also the
// fastest for this small model and keeps a run independent of the machine's core count.
set_num_threads(1);
using var mnist = Mnist.Load(Mnist.DefaultDirectory()); // data/mnist decodes to the course's mnist.pkl.gz
var (x_train, y_train, x_valid, y_valid) = (mnist.XTrain, mnist.YTrain, mnist.XValid, mnist.YValid);

Header("## Initial setup");
Header("### Data");
var (n, m) = ((int)x_train.shape[0], (int)x_train.shape[1]);
var c = y_train.max() + 1;
const int nh = 50;
nn.Module<Tensor, Tensor> model = new Model(m, nh, 10);
var pred = model.call(x_train);
Out(6, Size(pred));
check("the layers of a plain list are not registered: Model has no parameters", !model.parameters().Any());

Header("### Cross entropy loss");
Func<Tensor, Tensor> log_softmax = x => (x.exp() / x.exp().sum(-1, keepdim: true)).log();
Out(8, Repr(log_softmax(pred), "LogBackward0"));
log_softmax = x => x - x.exp().sum(-1, keepdim: true).log(); // log(a/b) = log(a) - log(b)
// LogSumExp: log Σ exp(x_j) = a + log Σ exp(x_j - a), a = max x_j, so no exp overflows.
static Tensor logsumexp(Tensor x)
{
    var m = x.max(-1).values;
    return m + (x - m[.., TensorIndex.None]).exp().sum(-1).log();
}
log_softmax = x => x - x.logsumexp(-1, keepdim: true);
test_close(logsumexp(pred), pred.logsumexp(-1));
var sm_pred = log_softmax(pred);
Out(12, Repr(sm_pred, "SubBackward0"));
Out(13, Repr(y_train[..3]));
Out(14, Pretty('(', ')', Repr(sm_pred[0, 5], "SelectBackward0"), Repr(sm_pred[1, 0], "SelectBackward0"), Repr(sm_pred[2, 4], "SelectBackward0")));
Out(15, Repr(sm_pred[tensor(new long[] { 0, 1, 2 }), y_train[..3]], "IndexBackward0"));
static Tensor nll(Tensor input, Tensor target) => -input[arange(target.shape[0]), target].mean();
var loss = nll(sm_pred, y_train);
Out(17, Repr(loss, "NegBackward0"));
test_close(F.nll_loss(F.log_softmax(pred, -1), y_train), loss, 1e-3);
test_close(F.cross_entropy(pred, y_train), loss, 1e-3);

Header("## Basic training loop");
Func<Tensor, Tensor, Tensor> loss_func = (input, target) => F.cross_entropy(input, target);
const int bs = 50;
var xb = x_train[0..bs];
var preds = model.call(xb);
Out(21, Pretty('(', ')', Repr(preds[0], "SelectBackward0"), Size(preds)));
var yb = y_train[0..bs];
Out(22, Repr(yb));
Out(23, Repr(loss_func(preds, yb), "NllLossBackward0"));
Out(24, Repr(preds.argmax(1)));
Out(26, Repr(accuracy(preds, yb)));
const double lr = 0.5;
const int epochs = 3;
(xb, yb) = (x_train[..bs], y_train[..bs]);
preds = model.call(xb);
Out(29);
report(loss_func(preds, yb), preds, yb);
// Each batch's tensors are freed when the batch ends (native memory goes by Dispose, not by the garbage collector);
// the last batch's loss, preds and yb move to the epoch's scope, where report reads them as the course does.
Out(30);
for (var epoch = 0; epoch < epochs; epoch++)
{
    using var kept = NewDisposeScope();
    for (var i = 0; i < n; i += bs)
    {
        using var batch = NewDisposeScope();
        var s = i..Math.Min(n, i + bs);
        (xb, yb) = (x_train[s], y_train[s]);
        preds = model.call(xb);
        loss = loss_func(preds, yb);
        loss.backward();
        using (no_grad())
        {
            foreach (var l in ((Model)model).layers)
            {
                if (l is not Linear lin) continue; // hasattr(l, 'weight')
                lin.weight!.sub_(lin.weight.grad! * lr);
                lin.bias!.sub_(lin.bias.grad! * lr);
                lin.weight.grad!.zero_();
                lin.bias.grad!.zero_();
            }
        }
        batch.MoveToOuter(loss, preds, yb);
    }
    report(loss, preds, yb);
}
(xb, yb) = (x_train[(n - bs)..n], y_train[(n - bs)..n]); // as in Python, xb and yb stay at the last batch
check("the basic loop zeroes each layer's grads after its update",
    ((Model)model).layers.OfType<Linear>().All(l => l.weight!.grad!.count_nonzero().item<long>() == 0));
learned("the basic loop");

Header("## Using parameters and optim");
Header("### Parameters");
var m1 = new Module();
m1.register_module("foo", nn.Linear(3, 4)); // what Python's m1.foo = ... does through nn.Module.__setattr__
Out(31, Repr(m1));
Out(32, Pretty('[', ']', [.. m1.named_children().Select(ch => Pretty('(', ')', $"'{ch.name}'", Repr(ch.module)))]));
Note(33, "the course shows the repr of a Python generator; TorchSharp's named_children() returns a collection",
    m1.named_children().GetType().Name.Split('`')[0]);
Out(34, Pretty('[', ']', [.. m1.parameters().Select(p => Repr(p))]));
model = new MLP(m, nh, 10);
Out(36, Repr(((MLP)model).l1));
Out(37, Repr(model));
Out(38);
foreach (var (name, l) in model.named_children()) Console.WriteLine($"{name}: {Repr(l)}");
Out(39);
foreach (var p in model.parameters()) Console.WriteLine(Size(p));
Action fit = () =>
{
    for (var epoch = 0; epoch < epochs; epoch++)
    {
        using var kept = NewDisposeScope();
        Tensor loss = null!, preds = null!, yb = null!;
        for (var i = 0; i < n; i += bs)
        {
            using var batch = NewDisposeScope();
            var s = i..Math.Min(n, i + bs);
            var (xb, y) = (x_train[s], y_train[s]);
            (preds, yb) = (model.call(xb), y);
            loss = loss_func(preds, yb);
            loss.backward();
            using (no_grad())
            {
                foreach (var p in model.parameters()) p.sub_(p.grad! * lr);
                model.zero_grad();
            }
            batch.MoveToOuter(loss, preds, yb);
        }
        report(loss, preds, yb);
    }
};
Out(41);
fit();
check("fit() leaves no gradient behind", model.parameters().All(p => p.grad is null || p.grad.count_nonzero().item<long>() == 0));
learned("fit() through model.parameters()");
// Behind the scenes nn.Module's __setattr__ registers each submodule; MyModule does it by hand.
var mdl = new MyModule(m, nh, 10);
Out(43, mdl.ToString());
Out(44);
foreach (var p in mdl.parameters()) Console.WriteLine(Size(p));
mdl.L2 = nn.ReLU(); // no parameters, so no draw from torch's generator
check("assigning l2 again replaces it in _modules", string.Join(",", mdl._modules.Keys) == "l1,l2" && mdl.parameters().Count() == 2);

Header("### Registering modules");
// from functools import reduce: LINQ's Aggregate is Python's reduce.
nn.Module<Tensor, Tensor>[] layers = [nn.Linear(m, nh), nn.ReLU(), nn.Linear(nh, 10)];
model = new RegisteringModules.Model(layers);
Out(48, Repr(model));
Out(49, Size(model.call(xb)));

Header("### nn.ModuleList");
model = new SequentialModel(layers);
Out(51, Repr(model));
check("nn.ModuleList registers every layer", string.Join(",", model.named_parameters().Select(p => p.name)) == "layers.0.weight,layers.0.bias,layers.2.weight,layers.2.bias");
Out(52);
fit();
learned("SequentialModel");

Header("### nn.Sequential");
model = nn.Sequential(nn.Linear(m, nh), nn.ReLU(), nn.Linear(nh, 10));
Out(54);
fit();
Console.WriteLine(Pretty('(', ')', Repr(loss_func(model.call(xb), yb), "NllLossBackward0"), Repr(accuracy(model.call(xb), yb))));
Out(55, Repr(model));

Header("### optim");
model = nn.Sequential(nn.Linear(m, nh), nn.ReLU(), nn.Linear(nh, 10));
optim.Optimizer opt = new Optimizer(model.parameters());
Out(59);
for (var epoch = 0; epoch < epochs; epoch++)
{
    using var kept = NewDisposeScope();
    for (var i = 0; i < n; i += bs)
    {
        using var batch = NewDisposeScope();
        var s = i..Math.Min(n, i + bs);
        (xb, yb) = (x_train[s], y_train[s]);
        preds = model.call(xb);
        loss = loss_func(preds, yb);
        loss.backward();
        opt.step();
        opt.zero_grad();
        batch.MoveToOuter(loss, preds, yb);
    }
    report(loss, preds, yb);
}
(xb, yb) = (x_train[(n - bs)..n], y_train[(n - bs)..n]);
learned("the Optimizer loop");
SameAsSgd(model, opt);
(nn.Module<Tensor, Tensor>, optim.Optimizer) get_model()
{
    var model = nn.Sequential(nn.Linear(m, nh), nn.ReLU(), nn.Linear(nh, 10));
    return (model, optim.SGD(model.parameters(), lr));
}
(model, opt) = get_model();
Out(62, Repr(loss_func(model.call(xb), yb), "NllLossBackward0"));
Out(63);
for (var epoch = 0; epoch < epochs; epoch++)
{
    using var kept = NewDisposeScope();
    for (var i = 0; i < n; i += bs)
    {
        using var batch = NewDisposeScope();
        var s = i..Math.Min(n, i + bs);
        (xb, yb) = (x_train[s], y_train[s]);
        preds = model.call(xb);
        loss = loss_func(preds, yb);
        loss.backward();
        opt.step();
        opt.zero_grad();
        batch.MoveToOuter(loss, preds, yb);
    }
    report(loss, preds, yb);
}
learned("optim.SGD");

Header("## Dataset and DataLoader");
Header("### Dataset");
var (train_ds, valid_ds) = (new Dataset(x_train, y_train), new Dataset(x_valid, y_valid));
check("len(train_ds) == len(x_train) and len(valid_ds) == len(x_valid)", train_ds.Count == x_train.shape[0] && valid_ds.Count == x_valid.shape[0]);
(xb, yb) = train_ds[0..5];
check("train_ds[0:5] is (5, 784) and (5,)", Size(xb) == "torch.Size([5, 784])" && Size(yb) == "torch.Size([5])");
Out(66, Pretty('(', ')', Repr(xb), Repr(yb)));
(model, opt) = get_model();
Out(68);
for (var epoch = 0; epoch < epochs; epoch++)
{
    using var kept = NewDisposeScope();
    for (var i = 0; i < n; i += bs)
    {
        using var batch = NewDisposeScope();
        (xb, yb) = train_ds[i..Math.Min(n, i + bs)];
        preds = model.call(xb);
        loss = loss_func(preds, yb);
        loss.backward();
        opt.step();
        opt.zero_grad();
        batch.MoveToOuter(loss, preds, yb);
    }
    report(loss, preds, yb);
}
learned("the Dataset loop");

Header("### DataLoader");
IEnumerable<(Tensor xb, Tensor yb)> train_dl = new DataLoader(train_ds, bs);
IEnumerable<(Tensor xb, Tensor yb)> valid_dl = new DataLoader(valid_ds, bs);
(xb, yb) = valid_dl.First();
Out(71, Size(xb));
Out(72, Repr(yb));
Out(73, Repr(yb[0])); // plt.imshow(xb[0].view(28,28)): a 3, drawn by the course, not here
(model, opt) = get_model();
fit = () =>
{
    for (var epoch = 0; epoch < epochs; epoch++)
    {
        using var kept = NewDisposeScope();
        Tensor loss = null!, preds = null!, yb = null!;
        foreach (var (xb, y) in train_dl)
        {
            using var batch = NewDisposeScope();
            preds = model.call(xb);
            loss = loss_func(preds, y);
            loss.backward();
            opt.step();
            opt.zero_grad();
            yb = y.clone(); // a loader may free its batch when asked for the next one
            batch.MoveToOuter(loss, preds, yb);
        }
        report(loss, preds, yb);
    }
};
Note(76, "cannot come from an in-order run: in order its accuracies are 0.98, 0.98, 1.00 at every thread count "
    + "tried (1 to 16), where every other loop prints the course's; the stored notebook keeps one execution count, "
    + "86, for In[75]: these cells were run again out of order");
fit();
Console.WriteLine(Pretty('(', ')', Repr(loss_func(model.call(xb), yb), "NllLossBackward0"), Repr(accuracy(model.call(xb), yb))));
learned("fit() over a DataLoader");

Header("### Random sampling");
// import random: Python's own generator, apart from torch's and unseeded in the course; Random.Shared is C#'s.
var ss = new Sampler(train_ds);
Out(81);
{
    using var it = ss.GetEnumerator();
    for (var o = 0; o < 5; o++)
    {
        it.MoveNext();
        Console.WriteLine(it.Current);
    }
}
Out(82, PyList(ss.Take(5))); // list(islice(ss, 5))
ss = new Sampler(train_ds, shuffle: true);
Note(83, "the course's Sampler shuffles with Python's random, unseeded", PyList(ss.Take(5)));
var batchs = new BatchSampler(ss, 4);
Note(86, "the course's Sampler shuffles with Python's random, unseeded", Pretty('[', ']', [.. batchs.Take(5).Select(PyList)]));
var train_samp = new BatchSampler(new Sampler(train_ds, shuffle: true), bs);
var valid_samp = new BatchSampler(new Sampler(valid_ds, shuffle: false), bs);
train_dl = new RandomSampling.DataLoader(train_ds, batchs: train_samp);
valid_dl = new RandomSampling.DataLoader(valid_ds, batchs: valid_samp);
(xb, yb) = valid_dl.First();
Out(91, Repr(yb[0]));
Out(92, Pretty('(', ')', Size(xb), Size(yb)));
(model, opt) = get_model();
Note(94, "cannot come from an in-order run: its accuracies (0.02 to 0.12) cannot go with its losses (a batch "
    + "that is 88% wrong has a cross-entropy above 0.6), and its batches come from Python's unseeded random");
fit();
learned("fit() over shuffled batches");

Header("### Multiprocessing DataLoader");
Out(96, Pretty('(', ')', Repr(train_ds[[3, 6, 8, 1]].x), Repr(train_ds[[3, 6, 8, 1]].y)));
Out(97, Pretty('(', ')', Repr(train_ds[[3, 6, 8, 1]].x), Repr(train_ds[[3, 6, 8, 1]].y))); // train_ds.__getitem__([3,6,8,1])
Out(98);
foreach (var (x, y) in new int[][] { [3, 6], [8, 1] }.Select(b => train_ds[b])) Console.WriteLine(PyTuple(Repr(x), Repr(y)));
train_dl = new Multiprocessing.DataLoader(train_ds, batchs: train_samp, n_workers: 2);
using var mpIt = train_dl.GetEnumerator(); // it = iter(train_dl)
mpIt.MoveNext();
(xb, yb) = mpIt.Current;
Note(101, "the course stores none", Pretty('(', ')', Size(xb), Size(yb)));

Header("### PyTorch DataLoader");
// from torch.utils.data import DataLoader, SequentialSampler, RandomSampler, BatchSampler: the library's, which
// gathers a batch in one index_select per tensor, the batch collate stacks.
TorchData.Sampler RandomSampler(Dataset ds) => new(ds.Count, shuffle: true);
TorchData.Sampler SequentialSampler(Dataset ds) => new(ds.Count);
var torch_train_samp = new TorchData.BatchSampler(RandomSampler(train_ds), bs, dropLast: false);
var torch_valid_samp = new TorchData.BatchSampler(SequentialSampler(valid_ds), bs, dropLast: false);
train_dl = new TorchData.DataLoader(train_ds, torch_train_samp); // batch_sampler=train_samp, collate_fn=collate
valid_dl = new TorchData.DataLoader(valid_ds, torch_valid_samp);
(model, opt) = get_model();
Note(105, "cannot come from an in-order run: its accuracies (0.04 to 0.06) cannot go with its losses, and its "
    + "xb, yb are the multiprocessing loader's first batch, from Python's unseeded random");
fit();
Console.WriteLine(Pretty('(', ')', Repr(loss_func(model.call(xb), yb), "NllLossBackward0"), Repr(accuracy(model.call(xb), yb))));
learned("fit() over PyTorch's DataLoader");
train_dl = new TorchData.DataLoader(train_ds, new TorchData.BatchSampler(RandomSampler(train_ds), bs)); // sampler=RandomSampler(train_ds)
valid_dl = new TorchData.DataLoader(valid_ds, new TorchData.BatchSampler(SequentialSampler(valid_ds), bs));
// shuffle=True, num_workers=2: two batches prepared ahead on another thread; PyTorch's workers draw nothing from the
// main generator, nor does the library's thread, so the random stream stays the course's.
train_dl = new TorchData.DataLoader(train_ds, bs, shuffle: true, dropLast: true, prefetch: 2);
valid_dl = new TorchData.DataLoader(valid_ds, bs, shuffle: false, prefetch: 2);
(model, opt) = get_model();
Note(108, "cannot come from an in-order run, for the reasons of In[105]");
fit();
Console.WriteLine(Pretty('(', ')', Repr(loss_func(model.call(xb), yb), "NllLossBackward0"), Repr(accuracy(model.call(xb), yb))));
learned("fit() over PyTorch's shuffling DataLoader");
Out(109, Pretty('(', ')', Repr(train_ds[[4, 6, 7]].x), Repr(train_ds[[4, 6, 7]].y)));
// sampler=train_samp with batch_size 1: each item the sampler yields is a whole batch, and the default collate
// stacks one of them, adding a dimension.
train_dl = new TorchData.DataLoader(train_ds, torch_train_samp);
valid_dl = new TorchData.DataLoader(valid_ds, torch_valid_samp);
(xb, yb) = collate([train_dl.First()]);
Out(111, Pretty('(', ')', Size(xb), Size(yb)));

Header("## Validation");
// model.train() before training and model.eval() before inference, for layers such as BatchNorm and Dropout.
(train_dl, valid_dl) = get_dls(train_ds, valid_ds, bs);
(model, opt) = get_model();
Note(115, "cannot come from an in-order run: its first epoch (loss 0.095, accuracy 0.9733) continues a model "
    + "trained before; after one epoch no fresh model of seeds 1 to 30 gets below loss 0.129 or above 0.964");
var clock = Stopwatch.StartNew();
var (valid_loss, acc) = Training.fit(5, model, loss_func, opt, train_dl, valid_dl); // C# cannot rebind fit to a new signature
Console.WriteLine($"Wall time: {clock.Elapsed.TotalSeconds:F2} s");
check("the validation fit reaches the course's level (0.965)", acc >= 0.965);

return Summary();

void learned(string what)
{
    using var _ = no_grad();
    var acc = accuracy(model.call(x_valid), y_valid).item<float>();
    check($"{what} learns: valid accuracy {acc:F4} > 0.95", acc > 0.95);
}

// One step of the course's Optimizer is one step of optim.SGD: both from the same parameters and grads.
void SameAsSgd(nn.Module<Tensor, Tensor> model, optim.Optimizer ours)
{
    using var _ = NewDisposeScope();
    var start = model.parameters().Select(p => p.detach().clone()).ToArray();
    loss_func(model.call(xb), yb).backward();
    ours.step();
    var stepped = model.parameters().Select(p => p.detach().clone()).ToArray();
    using (no_grad()) foreach (var (p, s) in model.parameters().Zip(start)) p.copy_(s);
    optim.SGD(model.parameters(), lr).step();
    check("Optimizer.step() is optim.SGD's step", model.parameters().Zip(stepped).All(ps => ps.First.allclose(ps.Second, rtol: 0, atol: 1e-7)));
    ours.zero_grad();
    check("Optimizer.zero_grad() zeroes every grad", model.parameters().All(p => p.grad!.count_nonzero().item<long>() == 0));
}

/// <summary>The course's first Model (In[5]): its layers in a plain list, which nn.Module does not register.</summary>
sealed class Model : nn.Module<Tensor, Tensor>
{
    public readonly List<nn.Module<Tensor, Tensor>> layers;

    public Model(long n_in, long nh, long n_out) : base(nameof(Model))
    {
        layers = [nn.Linear(n_in, nh), nn.ReLU(), nn.Linear(nh, n_out)];
        RegisterComponents(); // registers the module fields, as Python's __setattr__ does; a list is none
    }

    public override Tensor forward(Tensor x)
    {
        foreach (var l in layers) x = l.call(x);
        return x;
    }
}

/// <summary>Python's bare <c>nn.Module()</c> (In[31]): TorchSharp's constructor is protected, so an empty subclass.</summary>
sealed class Module() : nn.Module(nameof(Module));

/// <summary>The course's MLP (In[35]): layers in fields, each registered as it is assigned.</summary>
sealed class MLP : nn.Module<Tensor, Tensor>
{
    public readonly Linear l1, l2;
    public readonly ReLU relu;

    public MLP(long n_in, long nh, long n_out) : base(nameof(MLP))
    {
        (l1, l2, relu) = (nn.Linear(n_in, nh), nn.Linear(nh, n_out), nn.ReLU());
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => l2.call(relu.call(l1.call(x)));
}

/// <summary>
/// The course's MyModule (In[42]): what nn.Module's <c>__setattr__</c> does, by hand. C# has no <c>__setattr__</c>, so
/// each property's setter does its work: record the module under the attribute's name.
/// </summary>
sealed class MyModule
{
    public readonly OrderedDictionary<string, nn.Module> _modules = [];

    public MyModule(long n_in, long nh, long n_out)
    {
        L1 = nn.Linear(n_in, nh);
        L2 = nn.Linear(nh, n_out);
    }

    public nn.Module L1 { get => _modules["l1"]; set => _modules["l1"] = value; }

    public nn.Module L2 { get => _modules["l2"]; set => _modules["l2"] = value; }

    public override string ToString() => "{" + string.Join(", ", _modules.Select(kv => $"'{kv.Key}': {Repr(kv.Value)}")) + "}";

    public IEnumerable<Parameter> parameters() => _modules.Values.SelectMany(l => l.parameters());
}

namespace RegisteringModules
{
    /// <summary>The course's second Model (In[47]): the plain list again, each layer registered with add_module.</summary>
    sealed class Model : nn.Module<Tensor, Tensor>
    {
        private readonly IList<nn.Module<Tensor, Tensor>> layers;

        public Model(IList<nn.Module<Tensor, Tensor>> layers) : base(nameof(Model))
        {
            this.layers = layers;
            for (var i = 0; i < layers.Count; i++) register_module($"layer_{i}", layers[i]);
        }

        public override Tensor forward(Tensor x) => layers.Aggregate(x, (val, layer) => layer.call(val)); // reduce
    }
}

/// <summary>The course's SequentialModel (In[50]): the layers in an nn.ModuleList, which registers them.</summary>
sealed class SequentialModel : nn.Module<Tensor, Tensor>
{
    public readonly ModuleList<nn.Module<Tensor, Tensor>> layers;

    public SequentialModel(IList<nn.Module<Tensor, Tensor>> layers) : base(nameof(SequentialModel))
    {
        this.layers = nn.ModuleList([.. layers]);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        foreach (var l in layers) x = l.call(x);
        return x;
    }
}

/// <summary>
/// The course's Optimizer (In[56]). It derives from TorchSharp's optimizer only so that one variable, <c>opt</c>, holds
/// it and later optim.SGD, as Python's does; step and zero_grad are the course's.
/// </summary>
sealed class Optimizer(IEnumerable<Parameter> @params, double lr = 0.5) : optim.Optimizer(IntPtr.Zero)
{
    private readonly List<Parameter> @params = [.. @params];

    public override Tensor step(Func<Tensor>? closure = null)
    {
        using (no_grad())
            foreach (var p in @params) p.sub_(p.grad! * lr);
        return null!;
    }

    public override void zero_grad()
    {
        foreach (var p in @params) p.grad!.zero_();
    }

    public override IEnumerable<Parameter> parameters() => @params;
}

/// <summary>The course's Dataset (In[64], exported): x and y, indexed together.</summary>
sealed class Dataset(Tensor x, Tensor y)
{
    public readonly Tensor x = x, y = y;

    public long Count => x.shape[0]; // __len__

    public (Tensor x, Tensor y) this[int i] => (x[i], y[i]);

    public (Tensor x, Tensor y) this[Range s] => (x[s], y[s]);

    public (Tensor x, Tensor y) this[int[] idx]
    {
        get
        {
            using var t = tensor(idx.Select(i => (long)i).ToArray());
            return (x[t], y[t]);
        }
    }

    // PyTorch's DataLoader takes any dataset; the library's takes its own Dataset, which pairs the same two tensors.
    public static implicit operator TorchData.Dataset(Dataset ds) => new(ds.x, ds.y);
}

/// <summary>The course's first DataLoader (In[69]): consecutive slices of bs.</summary>
sealed class DataLoader(Dataset ds, int bs) : IEnumerable<(Tensor xb, Tensor yb)>
{
    public IEnumerator<(Tensor xb, Tensor yb)> GetEnumerator()
    {
        for (var i = 0; i < ds.Count; i += bs) yield return ds[i..(i + bs)];
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>The course's Sampler (In[78]): the indices in order, or shuffled by Python's random (C#'s Random.Shared).</summary>
sealed class Sampler(Dataset ds, bool shuffle = false) : IEnumerable<int>
{
    private readonly int n = (int)ds.Count;

    public IEnumerator<int> GetEnumerator()
    {
        var res = Enumerable.Range(0, n).ToArray();
        if (shuffle) Random.Shared.Shuffle(res);
        return ((IEnumerable<int>)res).GetEnumerator();
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>The course's BatchSampler (In[85]): the sampler's indices in chunks of bs (fastcore's chunked).</summary>
sealed class BatchSampler(IEnumerable<int> sampler, int bs, bool drop_last = false) : IEnumerable<int[]>
{
    public IEnumerator<int[]> GetEnumerator() => sampler.Chunk(bs).Where(b => !drop_last || b.Length == bs).GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}

namespace RandomSampling
{
    /// <summary>The course's second DataLoader (In[88]): the batches of a batch sampler, each collated from its samples.</summary>
    sealed class DataLoader(Dataset ds, BatchSampler batchs, Func<IEnumerable<(Tensor x, Tensor y)>, (Tensor xb, Tensor yb)>? collate_fn = null)
        : IEnumerable<(Tensor xb, Tensor yb)>
    {
        public IEnumerator<(Tensor xb, Tensor yb)> GetEnumerator()
        {
            foreach (var b in batchs)
            {
                (Tensor xb, Tensor yb) batch;
                using (NewDisposeScope()) // the samples' views go with the batch
                {
                    var (xb, yb) = (collate_fn ?? collate)(b.Select(i => ds[i]));
                    batch = (xb.MoveToOuterDisposeScope(), yb.MoveToOuterDisposeScope());
                }
                yield return batch;
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}

namespace Multiprocessing
{
    /// <summary>The course's third DataLoader (In[99]): mp.Pool's map, here n_workers threads; batches come in order.</summary>
    sealed class DataLoader(Dataset ds, BatchSampler batchs, int n_workers = 1) : IEnumerable<(Tensor xb, Tensor yb)>
    {
        public IEnumerator<(Tensor xb, Tensor yb)> GetEnumerator() =>
            batchs.AsParallel().AsOrdered().WithDegreeOfParallelism(n_workers).Select(b => ds[b]).GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}

/// <summary>What the course exports to miniai/training.py (#|export), and its collate.</summary>
static class Training
{
    public static Tensor accuracy(Tensor @out, Tensor yb) => (@out.argmax(1) == yb).to_type(ScalarType.Float32).mean();

    public static void report(Tensor loss, Tensor preds, Tensor yb) =>
        Console.WriteLine(FormattableString.Invariant($"{(double)loss.item<float>():F2}, {(double)accuracy(preds, yb).item<float>():F2}"));

    public static (Tensor xb, Tensor yb) collate(IEnumerable<(Tensor x, Tensor y)> b)
    {
        var samples = b.ToList();
        return (stack(samples.Select(s => s.x)), stack(samples.Select(s => s.y)));
    }

    public static (double loss, double acc) fit(int epochs, nn.Module<Tensor, Tensor> model, Func<Tensor, Tensor, Tensor> loss_func,
        optim.Optimizer opt, IEnumerable<(Tensor xb, Tensor yb)> train_dl, IEnumerable<(Tensor xb, Tensor yb)> valid_dl)
    {
        double tot_loss = 0, tot_acc = 0, count = 0;
        for (var epoch = 0; epoch < epochs; epoch++)
        {
            model.train();
            foreach (var (xb, yb) in train_dl)
            {
                using var batch = NewDisposeScope();
                var loss = loss_func(model.call(xb), yb);
                loss.backward();
                opt.step();
                opt.zero_grad();
            }
            model.eval();
            using (no_grad())
            {
                (tot_loss, tot_acc, count) = (0, 0, 0);
                foreach (var (xb, yb) in valid_dl)
                {
                    using var batch = NewDisposeScope();
                    var pred = model.call(xb);
                    var n = xb.shape[0];
                    count += n;
                    tot_loss += loss_func(pred, yb).item<float>() * (double)n;
                    tot_acc += accuracy(pred, yb).item<float>() * (double)n;
                }
            }
            Console.WriteLine($"{epoch} {PyFloat(tot_loss / count)} {PyFloat(tot_acc / count)}");
        }
        return (tot_loss / count, tot_acc / count);
    }

    public static (TorchData.DataLoader, TorchData.DataLoader) get_dls(Dataset train_ds, Dataset valid_ds, int bs) =>
        (new TorchData.DataLoader(train_ds, bs, shuffle: true), new TorchData.DataLoader(valid_ds, bs * 2));
}
